# Muster — see README.md for what each target does.
SHELL := /bin/bash
GO    ?= go
FUNCTIONS := ingest correlator query responder notify writeback
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
STATICCHECK_VERSION := v0.8.2
FUZZTIME ?= 20000x

.PHONY: all build test vet test-unit test-fuzz lint bench synth run demo redrive clean localstack-deploy

all: lint test build

## build: one linux/arm64 bootstrap per function under dist/<function>/
build:
	@for f in $(FUNCTIONS); do \
	  mkdir -p dist/$$f; \
	  GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -tags lambda.norpc -trimpath -ldflags='-s -w' \
	    -o dist/$$f/bootstrap ./functions/$$f || exit 1; \
	  echo "dist/$$f/bootstrap $$(stat -c %s dist/$$f/bootstrap) bytes"; \
	done

## test: everything CI runs (lint, unit, moto integration, end-to-end, CDK, browser, fuzz smoke)
test: lint test-unit test-fuzz

vet:
	$(GO) vet ./...

test-unit:
	MUSTER_REQUIRE_MOTO=1 $(GO) test -count=1 -timeout 30m ./...

## test-fuzz: every fuzz target, briefly ($(FUZZTIME) executions each; a count, not a duration: see scripts/fuzz-smoke.sh)
test-fuzz:
	@./scripts/fuzz-smoke.sh $(FUZZTIME)

## lint: gofmt, go vet, staticcheck
lint: vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

## bench: Go benchmarks and the measurement report (bench/out/)
bench:
	@./scripts/bench.sh

## synth: synthesise the CDK app into cdk.out/
synth: build
	cd infra && CDK_OUTDIR=../cdk.out $(GO) run .

## run: the whole pipeline locally, in the foreground (Ctrl-C stops it)
run:
	@mkdir -p .muster/bin
	$(GO) build -o .muster/bin/muster-local ./localstack/cmd/muster-local
	exec .muster/bin/muster-local

## demo: post the sample alerts to a running local stack and print the incidents
demo:
	$(GO) run ./localstack/cmd/muster-demo

## redrive: re-touch the alerts the local correlator parked in $(MUSTER_DIR)/dead-letter/correlator.jsonl (idempotent)
MUSTER_DIR ?= .muster
redrive:
	AWS_ENDPOINT_URL=$${AWS_ENDPOINT_URL:-http://127.0.0.1:$${MUSTER_MOTO_PORT:-4566}} \
	  $(GO) run ./cmd/muster-redrive -dead-letter-file $(MUSTER_DIR)/dead-letter/correlator.jsonl

## localstack-deploy: deploy the real stack to LocalStack with cdklocal (needs Docker)
localstack-deploy: build
	./localstack/deploy.sh

clean:
	rm -rf dist cdk.out .muster/bin bench/out
