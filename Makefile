# The two commands a new user needs (README): `make demo` and `make test`.
# Both run scripts/setup.sh first, which is idempotent and takes seconds once everything is there.
.PHONY: setup demo test
OUT ?= out/demo

setup:
	@bash scripts/setup.sh

demo: setup
	@bash scripts/demo.sh "$(OUT)"

test: setup
	@bash scripts/test.sh
