# mktdb -- PGXS build.  The extension script is assembled from sql/ext/*.sql
# (one file per concern, in name order) so that each capability keeps its SQL
# next to its own tests.  Released versions are frozen: sql/mktdb--0.1.0.sql and sql/mktdb--0.2.0.sql are
# committed as released, and sql/mktdb--A--B.sql upgrade them.
EXTENSION = mktdb
EXTVERSION = 0.3.0
MODULE_big = mktdb

SRCS = $(sort $(wildcard src/*.c) $(wildcard src/core/*.c))
OBJS = $(SRCS:.c=.o)

DATA_built = sql/$(EXTENSION)--$(EXTVERSION).sql
# released versions' scripts are frozen (committed); upgrades go through sql/mktdb--A--B.sql
DATA = $(filter-out $(DATA_built),$(wildcard sql/$(EXTENSION)--*.sql))

# pg_regress inputs: every sql/*.sql that is not an extension script.  test/run.sh runs
# each in its own database (tests create their own tables and models).
REGRESS = $(sort $(basename $(notdir $(filter-out sql/$(EXTENSION)--%,$(wildcard sql/*.sql)))))
REGRESS_OPTS = --inputdir=. --load-extension=mktdb

PG_CPPFLAGS = -Isrc -I/usr/include/x86_64-linux-gnu -std=gnu99 -Wall -Wextra -Wno-unused-parameter \
	-Wno-missing-field-initializers -pthread
SHLIB_LINK = -lopenblas -llapacke -lm -pthread

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

# PGXS tracks no header dependencies (Debian's server is built without --enable-depend):
# every object depends on every header, so a changed struct rebuilds all of them
$(OBJS): $(wildcard src/*.h src/core/*.h)

sql/$(EXTENSION)--$(EXTVERSION).sql: $(sort $(wildcard sql/ext/*.sql))
	cat $^ > $@

# plain C unit tests of src/core (no server needed)
.PHONY: unit
unit:
	$(MAKE) -C test/unit run
