# Modulus: the two front-door commands are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CONFIGURATION ?= Debug
RID ?= linux-x64
ARTIFACTS := $(CURDIR)/artifacts
DEMO := $(CURDIR)/.cache/demo
DEMO_DRIVER_VERSION ?= 999.1.2
DEMO_GARDENLINUX_VERSION ?= 1877.3

.PHONY: help prereqs build test demo vm-modulus payload publish clean

help:
	@echo "make demo     compile a stand-in NVIDIA driver with a local dev-builder into .cache/demo and show the result"
	@echo "make test     install prerequisites and run every test"
	@echo "make payload  self-contained dev-builder tarball for the dev container (artifacts/dev-builder.tar.gz)"
	@echo "make publish  self-contained modulus with the payload beside it (artifacts/modulus/), as the image carries it"

prereqs:
	@sh .ci/install-prereqs.sh

build:
	dotnet build Modulus.sln -c $(CONFIGURATION) -nologo -clp:NoSummary

test: prereqs vm-modulus
	dotnet build Modulus.sln -c $(CONFIGURATION) -nologo -clp:NoSummary
	rm -rf $(CURDIR)/.cache/test-results
	dotnet test Modulus.sln -c $(CONFIGURATION) --no-build --nologo \
	  --logger "trx;LogFileName=results.trx" --results-directory $(CURDIR)/.cache/test-results \
	  || { sh .ci/summarize-tests.sh $(CURDIR)/.cache/test-results; exit 1; }
	@sh .ci/summarize-tests.sh $(CURDIR)/.cache/test-results

demo: prereqs build
	rm -rf $(DEMO) && mkdir -p $(DEMO)
	sh tests/fixtures/make-fake-nvidia-run.sh $(DEMO_DRIVER_VERSION) $(DEMO)/downloads >/dev/null
	MODULUS_LOG_FORMAT=text dotnet run --project modulus --no-build -c $(CONFIGURATION) -- compile --local-builder \
	  --driver-kind nvidia-runfile --driver-source file://$(DEMO)/downloads/NVIDIA-Linux-x86_64-$(DEMO_DRIVER_VERSION).run \
	  --driver-version $(DEMO_DRIVER_VERSION) --gardenlinux-version $(DEMO_GARDENLINUX_VERSION) --module-type open \
	  --cache-dir $(DEMO)/cache --store file://$(DEMO)/store
	@echo
	MODULUS_LOG_FORMAT=text dotnet run --project modulus --no-build -c $(CONFIGURATION) -- list --store file://$(DEMO)/store
	@echo
	@echo "The cache entry (manifest: $$(find $(DEMO)/cache -name manifest.json)):"
	@find $(DEMO)/cache -mindepth 3 -not -path '*/.staging*' -not -path '*/build*' -not -name 'modules.*' | sed 's|$(DEMO)/cache/||' | sort

# The self-contained modulus that the VM test boots with (tests/vm).
vm-modulus:
	dotnet publish modulus -c Release -r $(RID) --self-contained -p:PublishSingleFile=true -nologo -o $(CURDIR)/.cache/vm/modulus

payload:
	rm -rf $(ARTIFACTS)/dev-builder && mkdir -p $(ARTIFACTS)
	dotnet publish dev-builder -c Release -r $(RID) --self-contained -p:PublishSingleFile=true -nologo -o $(ARTIFACTS)/dev-builder
	tar -czf $(ARTIFACTS)/dev-builder.tar.gz -C $(ARTIFACTS)/dev-builder dev-builder
	@ls -l $(ARTIFACTS)/dev-builder.tar.gz

# What modulus/Dockerfile's build stage runs (CI has no Docker engine).
publish: payload
	rm -rf $(ARTIFACTS)/modulus
	dotnet publish modulus -c Release -r $(RID) --self-contained -p:PublishSingleFile=true -nologo -o $(ARTIFACTS)/modulus
	cp $(ARTIFACTS)/dev-builder.tar.gz $(ARTIFACTS)/modulus/
	test -x $(ARTIFACTS)/modulus/modulus && $(ARTIFACTS)/modulus/modulus --help >/dev/null
	@ls -l $(ARTIFACTS)/modulus

clean:
	rm -rf $(ARTIFACTS) .cache
	dotnet clean Modulus.sln -nologo -v quiet
