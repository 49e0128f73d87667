/*
 * How many CPUs this process may use: the CPUs in its affinity mask (what
 * taskset and docker --cpuset-cpus restrict), capped by a cgroup CPU quota
 * (docker --cpus, Kubernetes limits, Function Compute's vCPU setting).
 */

#define _GNU_SOURCE

#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "smallpt_cpus.h"


static int read_line(const char *path, char *buf, size_t size);
static int quota_cpus(const char *quota, const char *period);


static int
read_line(const char *path, char *buf, size_t size)
{
    FILE  *f;
    int    ok;

    f = fopen(path, "r");
    if (f == NULL) {
        return -1;
    }

    ok = fgets(buf, (int) size, f) != NULL;
    fclose(f);

    return ok ? 0 : -1;
}


/* CPUs a cgroup quota and period ("150000", "100000") allow: 2; 0 if none. */
static int
quota_cpus(const char *quota, const char *period)
{
    long long  q, p;

    if (quota == NULL || sscanf(quota, "%lld", &q) != 1 || q <= 0) {
        return 0;
    }

    if (period == NULL || sscanf(period, "%lld", &p) != 1 || p <= 0) {
        return 0;
    }

    /* rounded up: a quota of 1.5 CPUs keeps two threads busy */
    return (int) ((q + p - 1) / p);
}


int
smallpt_cpus(void)
{
    int        n, quota;
    long       online;
    char       line[128], period[64], *space;
    cpu_set_t  set;

    n = 0;

    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
        n = CPU_COUNT(&set);
    }

    if (n < 1) {
        online = sysconf(_SC_NPROCESSORS_ONLN);
        n = online > 0 ? (int) online : 1;
    }

    quota = 0;

    /* cgroup v2: "max 100000" or "200000 100000" */
    if (read_line("/sys/fs/cgroup/cpu.max", line, sizeof(line)) == 0) {
        space = strchr(line, ' ');
        if (space != NULL) {
            *space = '\0';
            quota = quota_cpus(line, space + 1);
        }

    /* cgroup v1 */
    } else if (read_line("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", line,
                         sizeof(line)) == 0
               && read_line("/sys/fs/cgroup/cpu/cpu.cfs_period_us", period,
                            sizeof(period)) == 0)
    {
        quota = quota_cpus(line, period);
    }

    return quota > 0 && quota < n ? quota : n;
}
