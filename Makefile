# Headroom's make targets. `make help` lists them.
SHELL := /usr/bin/env bash
GO ?= go
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS := -s -w -X main.version=$(VERSION)
STATICCHECK_VERSION := v0.8.2
BIN := bin/headroom
TESTENV := scripts/testenv
# Packages that must import only the standard library.
PURE_PKGS := ./internal/policy ./internal/schedule ./internal/text ./internal/forecast ./internal/campaign

.PHONY: help build run test testenv kube-testenv bench sim footprint footprint-scale loadtest throttle fuzz soak lint check tofu-check clean release

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-8s %s\n", $$1, $$2}'

build: ## Build bin/headroom
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/headroom

run: ## Run the live demo: headroom against the built-in AWS emulator, no AWS account needed
	$(GO) run ./cmd/headroom demo

$(TESTENV)/node_modules/.package-lock.json: $(TESTENV)/package-lock.json
	@if command -v npm >/dev/null; then npm ci --prefix $(TESTENV) --no-audit --no-fund --loglevel=error; \
	else echo "npm not found: tests that need third-party emulators will be skipped"; fi

testenv: $(TESTENV)/node_modules/.package-lock.json ## Install the third-party test emulators from npm (pinned by the lock file)

kube-testenv: ## Build kube-apiserver and etcd for the Kubernetes tests into scripts/testenv/kube/bin (about 10 min cold; skipped when up to date)
	GO=$(GO) $(TESTENV)/kube/build.sh

test: testenv ## Run every test with the race detector and coverage, then the simulator's oracle check without it
	$(GO) test -race -cover -timeout 30m ./...
	$(GO) test -count=1 -run TestOracleIsTheFloor ./internal/sim

bench: ## Run the benchmarks (engine, forecast and cycle)
	$(GO) test -run '^$$' -bench . -benchmem -timeout 30m ./internal/policy ./internal/forecast ./internal/controller

SIM_OUT ?= sim-out
sim: ## Score Headroom and every baseline on every built-in scenario, seeds 1-3 and their mean; charts into $(SIM_OUT)/
	$(GO) run ./cmd/headroom simulate --scenario all --policy all --seeds 1,2,3 --chart-dir $(SIM_OUT)

fuzz: ## Run every fuzz target for FUZZTIME each (default 30s) from its committed corpus
	FUZZTIME=$(or $(FUZZTIME),30s) scripts/fuzz.sh

soak: ## Run SOAK_RUNS (default 500) seeded chaos runs from SOAK_FROM (default 1) in SOAK_SLICES parallel slices (scripts/soak.sh)
	GO=$(GO) scripts/soak.sh

footprint: ## Measure serve's peak memory and cycle time managing 2,000 groups (scripts/footprint.sh)
	scripts/footprint.sh 2000 60

footprint-scale: ## Measure serve at 2,000, 20,000 and 50,000 groups, one cycle every 40 s (about 15 minutes; docs/performance.md)
	for n in 2000 20000 50000; do FOOTPRINT_INTERVAL=40s scripts/footprint.sh $$n 200 || exit 1; done

loadtest: ## Drive serve's admin API (2,000 groups, 10 reads/s, 100 writes/s) and print p50/p99 (scripts/loadtest.sh)
	scripts/loadtest.sh 2000 10 100 60

throttle: ## Run 2,000 groups needing writes at once under 10% Auto Scaling throttling and the default write budget (scripts/throttle.sh)
	scripts/throttle.sh 2000 0.1 2/s 20

lint: ## gofmt, go vet and staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

check: ## Prove the dependency direction and that go.mod is tidy
	@for p in $(PURE_PKGS); do \
	  [ -d $$p ] || continue; \
	  bad=$$($(GO) list -deps $$p | grep '\.' | grep -v '^github.com/headroom-dev/headroom/internal/\(policy\|schedule\|text\|forecast\|campaign\)$$' || true); \
	  if [ -n "$$bad" ]; then echo "$$p must import only the standard library, but depends on:"; echo "$$bad"; exit 1; fi; \
	done; echo "pure packages import only the standard library"
	@cp go.mod /tmp/headroom.go.mod.bak && cp go.sum /tmp/headroom.go.sum.bak; \
	$(GO) mod tidy; \
	if ! git diff --quiet -- go.mod go.sum; then echo "go.mod/go.sum not tidy:"; git diff -- go.mod go.sum; \
	  cp /tmp/headroom.go.mod.bak go.mod; cp /tmp/headroom.go.sum.bak go.sum; exit 1; fi; echo "go.mod is tidy"

release: ## Static linux/amd64 and linux/arm64 binaries and SHA256SUMS into dist/ (VERSION, DIST to override)
	VERSION='$(VERSION)' scripts/release.sh

tofu-check: ## Validate and plan terraform/ with OpenTofu (built once into ~/.cache) and the AWS provider's schema from @cdktf/provider-aws, no AWS (scripts/tofu-check.sh)
	scripts/tofu-check.sh

clean: ## Remove build output and installed test emulators
	rm -rf bin dist $(SIM_OUT) $(TESTENV)/node_modules $(TESTENV)/kube/bin
