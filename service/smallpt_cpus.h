/*
 * How many CPUs this process may use (service/cpus.c): how many threads
 * the smallpt program renders on by default, and what the module's "auto"
 * means.
 */

#ifndef SMALLPT_CPUS_H
#define SMALLPT_CPUS_H


/*
 * The CPUs this process may use: its affinity mask (all online CPUs unless
 * restricted), capped by a cgroup v2 or v1 CPU quota, rounded up. At least 1.
 */
int smallpt_cpus(void);

#endif /* SMALLPT_CPUS_H */
