# The two commands of the README. Both install what they need and skip what is done.
.PHONY: run test setup

run:
	@scripts/run.sh

test:
	@scripts/test.sh

setup:
	@scripts/setup.sh --browsers
