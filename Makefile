# Scopekeeper: `make run` and `make test` do all the set-up on a fresh machine (Go, Node 22.15+, npm).
SHELL := /bin/bash
BIN       := scopekeeper
DEMO_DB   ?= scopekeeper-demo.db
ADDR      ?= 127.0.0.1:8080
FUZZTIME  ?= 5s

# go-sqlite3 compiles FTS5 (scope search's trigram index, internal/scopesearch) only with this tag. Go
# has no per-module build tags, so every go command here gets it through GOFLAGS; run by hand, add
# `-tags sqlite_fts5` yourself (without it the server refuses to start and says so).
export GOFLAGS += -tags=sqlite_fts5

.PHONY: run test build console generate generated go-test fuzz js-test e2e bench bench-scale bench-import clean

# npm writes node_modules/.package-lock.json only when it installs; the folder itself changes on every
# build (tool caches), so it would make everything after it rebuild each time.
NODE_MODULES := node_modules/.package-lock.json
$(NODE_MODULES): package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# What the console and the binary are made from, so `make run` on an unchanged tree rebuilds nothing.
# (Tests are left out: they do not change what is built.)
CONSOLE_SRC := $(shell find frontend/src -type f -not -path 'frontend/src/gql/*' -not -path 'frontend/src/test/*' -not -name '*.test.*') frontend/index.html frontend/graphiql.html \
	$(wildcard graph/schema/*.graphql) package.json codegen.ts vite.config.ts tsconfig.json
GO_SRC      := $(shell find . -type f -not -name '*_test.go' \( -name '*.go' -o -name '*.graphql' -o -name '*.sql' -o -name '*.tmpl' \) \
	-not -path './node_modules/*' -not -path './frontend/e2e/*' -not -path './test-output/*') go.mod go.sum

## console: build the single-page console into frontend/dist (embedded by go:embed)
console: frontend/dist/index.html

frontend/dist/index.html: $(NODE_MODULES) $(CONSOLE_SRC)
	npm run build

## build: the console, then the one binary
build: $(BIN)

$(BIN): frontend/dist/index.html $(GO_SRC)
	go build -o $(BIN) .

## run: build everything and start the server with demo data
run: build
	./$(BIN) serve --demo --addr $(ADDR) --db $(DEMO_DB)

## generate: ent → GraphQL schema → gqlgen → console types
generate: $(NODE_MODULES)
	go generate ./...

## test: every test — Go (SQLite, and PostgreSQL when SCOPEKEEPER_TEST_POSTGRES is set), short fuzz
## runs, console unit tests, and the browser end-to-end suite against the real binary — after
## checking that the committed generated code is what `go generate` makes
test: generated go-test fuzz js-test e2e

generated: generate
	@if [ -n "$$(git status --porcelain -- ent graph)" ]; then \
		git status --short -- ent graph; echo "generated code is stale: run make generate and commit it"; exit 1; fi

go-test:
	go vet ./...
	go test -count=1 ./...

# Each fuzz target runs its seed corpus in go-test; here it also explores for FUZZTIME. Go 1.26's
# fuzzing coordinator can fail a target with a bare "context deadline exceeded" when FUZZTIME ends
# while a worker is mid-input (go.dev/issue/75804, fixed in Go 1.27); such a run wrote no failing
# input, so the target runs once more. Any other failure, or a written input, fails at once.
fuzz:
	@for pkg in $$(go list ./...); do \
		for target in $$(go test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "fuzz $$pkg $$target ($(FUZZTIME))"; \
			out=$$(go test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg 2>&1) && { echo "$$out"; continue; }; \
			echo "$$out"; \
			if echo "$$out" | grep -q 'context deadline exceeded' && ! echo "$$out" | grep -q 'Failing input written'; then \
				echo "fuzz: the end-of-fuzztime race of go.dev/issue/75804, no failing input: $$target again"; \
				go test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
			else exit 1; fi; \
		done; \
	done

js-test: $(NODE_MODULES)
	npm test

e2e: build
	SCOPEKEEPER_BIN=$(CURDIR)/$(BIN) npm run e2e

## bench: throughput and latency against a bare net/http handler in the same run, and refresh grants
## beside client-credentials issuance (goal 0.8×) with CPU time per request (docs/benchmarks.md)
bench:
	set -o pipefail; { \
	  go test -run '^$$' -bench 'Loopback' -benchtime 5s -count 3 ./internal/oauth && \
	  go test -run '^$$' -bench 'Server' -benchtime 5s -count 3 . && \
	  go test -run '^$$' -bench 'HTTP|DecideLarge' -benchtime 20000x -count 3 ./internal/access && \
	  go test -run '^$$' -bench 'BenchmarkMatch|BenchmarkDecide$$' -benchmem ./internal/access; \
	} | go run ./cmd/benchratio

## bench-scale: the admin API and discovery as one organisation grows (docs/benchmarks.md): per size,
## `scopekeeper generate` writes a database (SCALE_ORGS small organisations of 1,000 scopes beside
## it), then BenchmarkScale loads the real binary over it. SQLite files in SCALE_DIR, or with
## SCALE_POSTGRES (a URL whose role may create databases, e.g. postgres://postgres@127.0.0.1:5432/postgres)
## a database scopekeeper_scale_N per size on that server, dropped after
SCALE_SIZES    ?= 1000 10000 100000
SCALE_ORGS     ?= 100
SCALE_DIR      ?= $(shell mktemp -d)
SCALE_POSTGRES ?=
SCALE_PASSWORD := scopekeeper-bench
SCALE_TIME     ?= 2s
bench-scale:
	go build -o $(BIN) .
	set -o pipefail; for n in $(SCALE_SIZES); do \
	  if [ -n "$(SCALE_POSTGRES)" ]; then \
	    psql -q "$(SCALE_POSTGRES)" -c "DROP DATABASE IF EXISTS scopekeeper_scale_$$n" -c "CREATE DATABASE scopekeeper_scale_$$n" || exit 1; \
	    case "$(SCALE_POSTGRES)" in *\?*) db="$(SCALE_POSTGRES)&dbname=scopekeeper_scale_$$n";; *) db="$(SCALE_POSTGRES)?dbname=scopekeeper_scale_$$n";; esac; \
	  else db=$(SCALE_DIR)/scale-$$n.db; rm -f $$db*; fi; \
	  /usr/bin/time -f "generate $$n scopes: %e s, %M KiB peak" ./$(BIN) generate --db "$$db" --scopes $$n \
	    --orgs $(SCALE_ORGS) --org-scopes 1000 --password $(SCALE_PASSWORD) >/dev/null || exit 1; \
	  SCOPEKEEPER_BIN=$(CURDIR)/$(BIN) SCOPEKEEPER_BENCH_SCALE_DB="$$db" SCOPEKEEPER_BENCH_SCALE_PASSWORD=$(SCALE_PASSWORD) \
	  SCOPEKEEPER_BENCH_SCALE_LABEL=scopes=$$n go test -run '^$$' -bench '^BenchmarkScale$$' -benchtime $(SCALE_TIME) . || exit 1; \
	  if [ -n "$(SCALE_POSTGRES)" ]; then psql -q "$(SCALE_POSTGRES)" -c "DROP DATABASE scopekeeper_scale_$$n" || exit 1; \
	  else rm -f $$db*; fi; \
	done | go run ./cmd/benchratio

## bench-import: plan (dry run) and apply an import of 1,000 APIs × 100 scopes into an empty
## organisation on SQLite (docs/benchmarks.md); IMPORT_APIS and IMPORT_SCOPES change the size
IMPORT_APIS   ?= 1000
IMPORT_SCOPES ?= 100
bench-import:
	SCOPEKEEPER_BENCH_IMPORT_APIS=$(IMPORT_APIS) SCOPEKEEPER_BENCH_IMPORT_SCOPES=$(IMPORT_SCOPES) \
	  go test -run '^$$' -bench '^BenchmarkImport$$' -benchtime 1x -timeout 60m ./internal/configdoc

clean:
	rm -rf $(BIN) frontend/dist/assets frontend/dist/index.html test-output
