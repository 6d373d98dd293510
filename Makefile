# tubefeed — see README.md. Every target installs what it needs into .local/ (scripts/bootstrap.sh).
SHELL := /bin/bash

.PHONY: check test bench dev build fmt lint tools clean-local

## The minute-to-minute loop: formatting, clippy, and the unit and fake-backed tests (no Java,
## no network, no services).
check:
	scripts/check.sh

## Every test from a fresh clone (installs DynamoDB Local and moto, starts and stops them).
test:
	scripts/test.sh

## The benchmarks; prints tables of figures.
bench:
	scripts/bench.sh

## The whole system locally in one command: DynamoDB Local, the table, the simulator, both
## Lambdas under cargo lambda watch, a fetch every few seconds. Ctrl-C stops everything.
dev:
	scripts/dev.sh

build:
	cargo build --workspace

fmt:
	cargo fmt --all

## fmt --check, clippy -D warnings, shellcheck on every script, the size rules (scripts/sizes.py).
lint:
	scripts/lint.sh

## Install every local tool (DynamoDB Local, moto, cargo-deny, cargo-lambda, SAM CLI, chromium,
## wrk, shellcheck) without running anything.
tools:
	scripts/bootstrap.sh all

clean-local:
	rm -rf .local
