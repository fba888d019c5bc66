# Modulus: the two front-door commands are `make demo` and `make test` (see README.md).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
CONFIGURATION ?= Debug
RID ?= linux-x64
ARTIFACTS := $(CURDIR)/artifacts
DEMO := $(CURDIR)/.cache/demo
DEMO_DRIVER_VERSION ?= 999.1.2
DEMO_GARDENLINUX_VERSION ?= 1877.3
# buildah and podman, daemonless (docs/kubernetes.md): every target and test that runs them reads this file (runc,
# lower rlimits: what these hosts need).
export CONTAINERS_CONF := $(CURDIR)/.ci/containers.conf
MODULUS_IMAGE ?= localhost/modulus:dev

.PHONY: help prereqs container-prereqs build test demo vm-modulus payload publish bench clean image image-current image-archive kmodbuild-standin compiler-pod

help:
	@echo "make demo     the whole job: compile a stand-in NVIDIA driver, publish it to .cache/demo/store, install it into a real kernel (QEMU), status"
	@echo "make test     install prerequisites and run every test"
	@echo "make payload  native dev-builder tarball for the dev container (artifacts/dev-builder.tar.gz)"
	@echo "make publish  native modulus with the payload beside it (artifacts/modulus/), as the image carries it"
	@echo "make bench    Modulus beside tar|gzip|aws, pigz, sha256sum and openssl, and against its limits (docs/performance.md)"
	@echo "make image    modulus/Dockerfile for linux/amd64 and linux/arm64 (buildah, one manifest list $(MODULUS_IMAGE), artifacts/modulus-image.oci.tar), with each platform's size"
	@echo "make compiler-pod  the chart's compiler pod under podman with the kmodbuild stand-in (KMODBUILD_IMAGE, DRIVER_RUN, DRIVER_VERSION, GARDENLINUX_VERSION, STORE, VALUES, ARCH, DEBUG)"

prereqs:
	@sh .ci/install-prereqs.sh

build:
	dotnet build Modulus.sln -c $(CONFIGURATION) -nologo -clp:NoSummary

test: prereqs container-prereqs image-current vm-modulus kmodbuild-standin
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
	sh tests/vm/add-in-tree-modules.sh $(DEMO)/vm/root drm
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

# The native modulus that the VM tests boot with (tests/vm), dev-builder beside it (compile --local-builder
# in the trixie build root, tests/vm/compile-in-trixie.sh), and the arm64 modulus for the arm64 VM. Each modulus is the
# image's when the image was built from these sources (the same dotnet publish; CI builds the image first), else
# published here (so is the arm64 one when the image holds only this machine's platform, as image-current builds it).
# All of them are native (NativeAOT: modulus/Modulus.csproj); the arm64 ones link with clang and the cross binutils.
# Each directory's `sources` file holds the hash of the sources they were built from: every test that runs modulus or
# dev-builder runs these, and refuses ones built from other sources (tests/Modulus.Tests/Fixtures/Repo.cs).
vm-modulus:
	@sources=$$(bash .ci/images/modulus-image.sh --sources); \
	rm -f $(CURDIR)/.cache/vm/modulus/sources $(CURDIR)/.cache/vm/modulus-arm64/sources; \
	if [ "$(RID)" = linux-x64 ] && command -v podman >/dev/null && [ "$$(podman image inspect --format '{{ index .Config.Labels "io.modulus.sources" }}' $(MODULUS_IMAGE) 2>/dev/null)" = "$$sources" ]; then \
	  IMAGE=$(MODULUS_IMAGE) bash .ci/extract-modulus.sh amd64 $(CURDIR)/.cache/vm/modulus; \
	  IMAGE=$(MODULUS_IMAGE) bash .ci/extract-modulus.sh arm64 $(CURDIR)/.cache/vm/modulus-arm64 \
	  || dotnet publish modulus -c Release -r linux-arm64 -nologo -o $(CURDIR)/.cache/vm/modulus-arm64; \
	else \
	  dotnet publish modulus -c Release -r $(RID) -nologo -o $(CURDIR)/.cache/vm/modulus; \
	  dotnet publish modulus -c Release -r linux-arm64 -nologo -o $(CURDIR)/.cache/vm/modulus-arm64; \
	  dotnet publish dev-builder -c Release -r $(RID) -nologo -o $(CURDIR)/.cache/vm/modulus; \
	fi; \
	echo "$$sources" > $(CURDIR)/.cache/vm/modulus/sources; echo "$$sources" > $(CURDIR)/.cache/vm/modulus-arm64/sources

payload:
	rm -rf $(ARTIFACTS)/dev-builder && mkdir -p $(ARTIFACTS)
	dotnet publish dev-builder -c Release -r $(RID) -nologo -o $(ARTIFACTS)/dev-builder
	tar -czf $(ARTIFACTS)/dev-builder.tar.gz -C $(ARTIFACTS)/dev-builder dev-builder
	@ls -l $(ARTIFACTS)/dev-builder.tar.gz

# What modulus/Dockerfile's build stage runs (CI has no Docker engine).
publish: payload
	rm -rf $(ARTIFACTS)/modulus
	dotnet publish modulus -c Release -r $(RID) -nologo -o $(ARTIFACTS)/modulus
	cp $(ARTIFACTS)/dev-builder.tar.gz $(ARTIFACTS)/modulus/
	test -x $(ARTIFACTS)/modulus/modulus && $(ARTIFACTS)/modulus/modulus --help >/dev/null
	@ls -l $(ARTIFACTS)/modulus

clean:
	rm -rf $(ARTIFACTS) .cache
	dotnet clean Modulus.sln -nologo -v quiet

container-prereqs:
	@sh .ci/install-container-prereqs.sh

# The image, built from modulus/Dockerfile by buildah for both platforms into one manifest list in this machine's
# container storage, and saved as an OCI archive. Base images cannot be pulled here: local stand-ins are built from
# Debian roots (.ci/images/bases.sh) and passed as SDK_IMAGE and RUNTIME_IMAGE; their defaults stay mcr.microsoft.com's.
IMAGE_PLATFORMS ?= amd64 arm64
image: container-prereqs
	IMAGE=$(MODULUS_IMAGE) PLATFORMS="$(IMAGE_PLATFORMS)" bash .ci/images/modulus-image.sh

# The OCI archive of `make image` (both platforms), built again only when its images come from other sources.
image-archive: container-prereqs
	@bash .ci/images/modulus-image.sh --archive-current && echo "image: artifacts/modulus-image.oci.tar is built from these sources" \
	  || $(MAKE) --no-print-directory image

# The image as `make image` builds it, built only when the sources it is made of changed since (or it is missing),
# and then for this machine's platform only: what `make compiler-pod` and the tests run (CI builds both first).
image-current: container-prereqs
	@if [ "$$(podman image inspect --format '{{ index .Config.Labels "io.modulus.sources" }}' $(MODULUS_IMAGE) 2>/dev/null)" != "$$(bash .ci/images/modulus-image.sh --sources)" ]; then \
	  $(MAKE) --no-print-directory image IMAGE_PLATFORMS=$$(podman info --format '{{.Host.Arch}}'); else echo "image: $(MODULUS_IMAGE) is built from these sources"; fi

# Garden Linux's kmodbuild image, stood in for by Debian trixie (tests only; built once per machine, cached in .tools/images).
kmodbuild-standin: container-prereqs
	@bash tests/containers/kmodbuild-standin/build.sh all >/dev/null

# The chart's compiler instance under podman (.ci/compiler-pod.sh says what each variable does).
compiler-pod: prereqs container-prereqs image-current
	KMODBUILD_IMAGE="$(KMODBUILD_IMAGE)" DRIVER_RUN="$(DRIVER_RUN)" DRIVER_VERSION="$(DRIVER_VERSION)" GARDENLINUX_VERSION="$(GARDENLINUX_VERSION)" \
	  STORE="$(STORE)" VALUES="$(VALUES)" ARCH="$(ARCH)" DEBUG="$(DEBUG)" MODULUS_IMAGE="$(MODULUS_IMAGE)" bash .ci/compiler-pod.sh

# Modulus beside its peers and against its limits (docs/performance.md): the published binary, s3rver on loopback, a
# corpus of real .ko and shared libraries; the image's size per platform (the archive of `make image`, built again
# when its sources changed), status, install in a VM against busybox insmod, compile for 1, 2 and 3 kernels in the
# kmodbuild stand-in. BENCH_MIB and BENCH_PAIRS size it, BENCH_SECTIONS picks parts, BENCH_COMPILE_RUN names another
# .run for the compile rows; the tables land in .cache/bench/results.md.
BENCH_MIB ?= 350
BENCH_PAIRS ?= 3
# The binary measured is the image's (vm-modulus copies it out of the image when the image is current).
bench: prereqs image-archive vm-modulus
	@sh .ci/install-bench-prereqs.sh
	mkdir -p $(CURDIR)/.cache/bench
	dotnet run -c Release --project tests/benchmarks/Bench -- $(CURDIR)/.cache/vm/modulus/modulus \
	  $(CURDIR)/.tools/node_modules/s3rver/bin/s3rver.js $(CURDIR)/.cache/bench/work $(BENCH_MIB) $(BENCH_PAIRS) \
	  | tee $(CURDIR)/.cache/bench/results.md
