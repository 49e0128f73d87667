# What the library, its unit tests and the smallpt program are built from:
# every file in these folders, found by wildcard, so that a file added to
# a folder is built without naming it anywhere. Read by the Makefile,
# mk/sanitize.mk and fuzz/fuzz.mk; nginx's `config` reads LIB_DIRS from
# here (keep it one line); scripts/test-exact globs the same folders.
#
#   tracer/    the path tracer: smallpt.cpp in C99, one file per
#              instruction set, the table of them (isa.c), jobs and threads
#   service/   what the service needs besides nginx: query strings, ETag,
#              Content-Disposition, the Prometheus text, the PNG/PPM/RGB
#              encoders, the CPU count
#   cli/       the smallpt program
#
# Each library folder's unit tests are DIR/tests/test_NAME.c, one program
# each (build/test_NAME); their shared harness is tracer/tests/check.h.

LIB_DIRS    := tracer service
LIB_SRCS    := $(wildcard $(LIB_DIRS:=/*.c))
LIB_HDRS    := $(wildcard $(LIB_DIRS:=/*.h))
LIB_INCS    := $(LIB_DIRS:%=-I%)

CLI_SRCS    := $(wildcard cli/*.c)

# the instruction sets, a file tracer/trace_NAME.c each (tracer/isa.c)
ISAS        := $(patsubst tracer/trace_%.c,%,$(wildcard tracer/trace_*.c))

UNIT_SRCS   := $(wildcard $(LIB_DIRS:=/tests/test_*.c))
UNIT_NAMES  := $(notdir $(UNIT_SRCS:.c=))
TEST_HDRS   := $(wildcard $(LIB_DIRS:=/tests/*.h))

# the rules name a test by its file alone (test_NAME.c): make finds it here
vpath test_%.c $(LIB_DIRS:=/tests)
