# Modulus: the two front-door commands are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CONFIGURATION ?= Debug
RID ?= linux-x64
ARTIFACTS := $(CURDIR)/artifacts
DEMO := $(CURDIR)/.cache/demo
DEMO_DRIVER_VERSION ?= 999.1.2
DEMO_GARDENLINUX_VERSION ?= 1877.3

.PHONY: help prereqs build test demo vm-modulus payload publish bench clean

help:
	@echo "make demo     the whole job: compile a stand-in NVIDIA driver, publish it to .cache/demo/store, install it into a real kernel (QEMU), status"
	@echo "make test     install prerequisites and run every test"
	@echo "make payload  self-contained dev-builder tarball for the dev container (artifacts/dev-builder.tar.gz)"
	@echo "make publish  self-contained modulus with the payload beside it (artifacts/modulus/), as the image carries it"
	@echo "make bench    Modulus beside tar|gzip|aws, pigz, sha256sum and openssl on a ~350 MB artifact (docs/performance.md)"

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

# The whole job on this machine: compile (local dev-builder, real kbuild) -> publish (file:// store) ->
# install into Debian's kernel under QEMU -> status, then a summary.
demo: prereqs build vm-modulus
	rm -rf $(DEMO) && mkdir -p $(DEMO)
	sh tests/fixtures/make-fake-nvidia-run.sh $(DEMO_DRIVER_VERSION) $(DEMO)/downloads >/dev/null
	@echo "== 1/3 compile and publish (dev-builder over named pipes, kbuild against $$(uname -r)'s headers)"
	MODULUS_LOG_FORMAT=text dotnet run --project modulus --no-build -c $(CONFIGURATION) -- compile --local-builder \
	  --driver-kind nvidia-runfile --driver-source file://$(DEMO)/downloads/NVIDIA-Linux-x86_64-$(DEMO_DRIVER_VERSION).run \
	  --driver-version $(DEMO_DRIVER_VERSION) --gardenlinux-version $(DEMO_GARDENLINUX_VERSION) --module-type open \
	  --cache-dir $(DEMO)/cache --store file://$(DEMO)/store
	@echo
	MODULUS_LOG_FORMAT=text dotnet run --project modulus --no-build -c $(CONFIGURATION) -- list --store file://$(DEMO)/store
	@echo
	@echo "== 2/3 install into a real kernel (QEMU, TCG) from the store, then status"
	mkdir -p $(DEMO)/vm/root/opt/modulus
	cp -r $(DEMO)/store $(DEMO)/vm/root/store
	cp .cache/vm/modulus/modulus $(DEMO)/vm/root/opt/modulus/modulus
	cp tests/vm/init-demo.sh $(DEMO)/vm/root/init
	printf 'DRIVER_VERSION=%s\nGARDENLINUX_VERSION=%s\n' $(DEMO_DRIVER_VERSION) $(DEMO_GARDENLINUX_VERSION) > $(DEMO)/vm/root/demo.env
	sh tests/vm/boot.sh $(DEMO)/vm/root $(DEMO)/vm | tee $(DEMO)/vm/serial.log | grep -v '^MODULUS-VM: ' || true
	@echo
	@echo "== 3/3 summary"
	@grep -q 'MODULUS-VM: done' $(DEMO)/vm/serial.log || { echo "the VM did not finish; serial console: $(DEMO)/vm/serial.log"; exit 1; }
	@echo "compiled:  $$(find $(DEMO)/cache -name manifest.json -path '*nvidia-*' | sed 's|$(DEMO)/cache/||; s|/manifest.json||')"
	@echo "published: $$(find $(DEMO)/store -name manifest.json | sed 's|$(DEMO)/store/||')"
	@echo "installed: $$(sed -n 's/.*MODULUS-VM: install //p' $(DEMO)/vm/serial.log | tr -d '\r') in kernel $$(sed -n 's/.*MODULUS-VM: booted //p' $(DEMO)/vm/serial.log | tr -d '\r')"
	@echo "loaded:    $$(sed -n 's/.*MODULUS-VM: modules //p' $(DEMO)/vm/serial.log | tr -d '\r')"
	@echo "devices:   $$(sed -n 's/.*MODULUS-VM: nodes //p' $(DEMO)/vm/serial.log | tr -d '\r')"
	@echo "status:    $$(grep -a 'ready:' $(DEMO)/vm/serial.log | sed 's/^ *ready: *//' | tr -d '\r')"
	@grep -q 'MODULUS-VM: status exit=0' $(DEMO)/vm/serial.log

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

# Modulus beside its peers (docs/performance.md): the published binary, s3rver on loopback, a corpus of real .ko
# and shared libraries. BENCH_MIB and BENCH_PAIRS size it; the table lands in .cache/bench/results.md.
BENCH_MIB ?= 350
BENCH_PAIRS ?= 3
bench: prereqs publish
	@sh .ci/install-bench-prereqs.sh
	mkdir -p $(CURDIR)/.cache/bench
	dotnet run -c Release --project tests/benchmarks/Bench -- $(ARTIFACTS)/modulus/modulus \
	  $(CURDIR)/.tools/node_modules/s3rver/bin/s3rver.js $(CURDIR)/.cache/bench/work $(BENCH_MIB) $(BENCH_PAIRS) \
	  | tee $(CURDIR)/.cache/bench/results.md
