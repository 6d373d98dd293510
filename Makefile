# tubefeed — see README.md. Every target installs what it needs into .local/.
SHELL := /bin/bash

.PHONY: test bench dev build fmt lint tools clean-local

## Every test from a fresh clone (installs DynamoDB Local and moto, starts and stops them).
test:
	scripts/test.sh

## The benchmarks; prints a table of figures.
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

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

## Install the local tools (DynamoDB Local, moto, cargo-lambda, SAM CLI) without running anything.
tools:
	scripts/bootstrap.sh --lambda

clean-local:
	rm -rf .local
