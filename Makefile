# cn-tools: see README.md. `make test` is what CI runs.

GO        ?= go
VERSION   ?= $(shell git describe --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X cntools/internal/tool.Version=$(VERSION)
# urfave/cli without its Markdown and man page writers (docs.go), which we
# do not use (tools/cmd/manual.go writes the pages): their blackfriday
# package took 4 ms of every tool's 24 ms start on the 2-core test machine.
TAGS      := urfave_cli_no_docs
# usbkey-state, the helper a sync runs on each target, is a binary of its
# own (usbkey/keycopy): the multi-call cn-tools starts three times slower.
TOOLS     := $(filter-out usbkey-state,$(notdir $(wildcard tools/usbkey-* tools/gztools-* tools/convert-*)))
BUILD     := build
# The packages the tests drive; installed when missing.
APT_PKGS  := dosfstools mtools gdisk openssh-server rsync groff-base time openssl
NEED_CMDS := fsck.fat mcopy sgdisk /usr/sbin/sshd rsync groff /usr/bin/time openssl
BUNYAN_VERSION := 1.8.15
# staticcheck, pinned; installed through the module proxy when missing.
STATICCHECK_VERSION := v0.8.2
STATICCHECK := $(shell $(GO) env GOPATH)/bin/staticcheck

.PHONY: all test deps vet lint unit illumos bench cn-tools cn-tools-merge diagram demo clean

all: cn-tools

deps:
	@missing=0; for c in $(NEED_CMDS); do command -v $$c >/dev/null 2>&1 || [ -x $$c ] || missing=1; done; \
	if [ $$missing = 1 ]; then \
		echo "installing $(APT_PKGS)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PKGS) >/dev/null; \
	fi
	@# The real bunyan CLI reads the run logs in the tests; npm's, pinned.
	@command -v bunyan >/dev/null 2>&1 || { \
		command -v npm >/dev/null 2>&1 || { echo "installing nodejs npm"; apt-get update -qq && \
			DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }; \
		echo "installing bunyan $(BUNYAN_VERSION)"; npm install -g --no-fund --no-audit bunyan@$(BUNYAN_VERSION) >/dev/null 2>&1; }

vet:
	$(GO) vet ./...

# staticcheck, gofmt and a tidy go.mod: the build's hygiene, checked on every run.
lint:
	@[ -x $(STATICCHECK) ] && $(STATICCHECK) -version | grep -q '$(STATICCHECK_VERSION:v%=%)' || \
		$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	$(STATICCHECK) ./...
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
		if [ -n "$$unformatted" ]; then echo "gofmt would change: $$unformatted: run gofmt -w"; exit 1; fi
	$(GO) mod tidy -diff

unit: deps
	PATH="$$PATH:/usr/sbin:/sbin" $(GO) test -count=1 ./...

# The real target: every tool and test binary must compile for illumos.
illumos:
	GOOS=illumos GOARCH=amd64 $(GO) build ./...
	GOOS=illumos GOARCH=amd64 $(GO) build -tags $(TAGS) ./tools/...
	GOOS=illumos GOARCH=amd64 $(GO) vet ./...

test: deps vet lint illumos unit

# Issue 14's table: each row against its peer as whole processes, alternating,
# with medians, spread and peak memory. It prints the table, writes it to
# build/bench.md and rewrites the README's benchmark section from it.
# ROUNDS=N sets the counted rounds (default 9). About 8 minutes on 2 cores.
bench: deps
	@mkdir -p $(BUILD)
	PATH="$$PATH:/usr/sbin:/sbin" CNTOOLS_BENCH_ROUNDS=$(or $(ROUNDS),9) \
		CNTOOLS_BENCH_OUT=$(CURDIR)/$(BUILD)/bench.md CNTOOLS_BENCH_README=$(CURDIR)/README.md \
		$(GO) test -run '^$$' -bench Table -benchtime 1x -timeout 90m ./internal/benchtable/

$(BUILD)/illumos/cn-tools: FORCE
	GOOS=illumos GOARCH=amd64 CGO_ENABLED=0 $(GO) build -trimpath -tags $(TAGS) -ldflags '$(LDFLAGS)' -o $@ ./tools/cn-tools

$(BUILD)/illumos/usbkey-state: FORCE
	GOOS=illumos GOARCH=amd64 CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $@ ./tools/usbkey-state

$(BUILD)/host/cn-tools: FORCE
	CGO_ENABLED=0 $(GO) build -trimpath -tags $(TAGS) -ldflags '$(LDFLAGS)' -o $@ ./tools/cn-tools

# cn-tools-rfd67.tar.gz, laid out as Triton extracts cn_tools.tar.gz into
# /opt/smartdc: one multi-call binary, a link per tool, a man page per tool,
# bash completion, a version stamp. It is not Triton's cn_tools.tar.gz (that one carries
# sdc-usbkey, which CN setup runs): cn-tools-merge adds it to Triton's.
PAYLOAD := $(BUILD)/cn-tools-rfd67.tar.gz

cn-tools: $(BUILD)/illumos/cn-tools $(BUILD)/illumos/usbkey-state $(BUILD)/host/cn-tools
	rm -rf $(BUILD)/proto && mkdir -p $(BUILD)/proto/bin $(BUILD)/proto/etc
	cp $(BUILD)/illumos/cn-tools $(BUILD)/illumos/usbkey-state $(BUILD)/proto/bin/
	for t in $(TOOLS); do ln -s cn-tools $(BUILD)/proto/bin/$$t; done
	install -m 0755 tools/sdcadm-sync/sdcadm-sync $(BUILD)/proto/bin/sdcadm-sync
	install -D -m 0644 tools/sdcadm-sync/sdcadm-usbkey-sync.patch $(BUILD)/proto/share/cn-tools/sdcadm-usbkey-sync.patch
	$(BUILD)/host/cn-tools man $(BUILD)/proto/man/man1
	$(BUILD)/host/cn-tools completion bash > $(BUILD)/proto/share/cn-tools/cn-tools.completion
	echo "cn-tools $(VERSION)" > $(BUILD)/proto/etc/cn-tools.version
	tar -C $(BUILD)/proto --owner=0 --group=0 -czf $(PAYLOAD) bin man etc share
	@tar -tvzf $(PAYLOAD)

# Triton's own cn_tools.tar.gz with cn-tools added and a manifest of what
# was added: what goes to /usbkey/extra/joysetup/cn_tools.tar.gz.
#   make cn-tools-merge CN_TOOLS=path/to/cn_tools.tar.gz
ifneq ($(filter cn-tools-merge,$(MAKECMDGOALS)),)
ifeq ($(CN_TOOLS),)
$(error cn-tools-merge: set CN_TOOLS to the cn_tools.tar.gz sdc-headnode built)
endif
endif
cn-tools-merge: cn-tools
	$(GO) run ./tools/cn-tools-merge "$(CN_TOOLS)" $(PAYLOAD) $(BUILD)/cn_tools.tar.gz

# doc/flow.svg, the README's picture of the flow, from its Graphviz source.
diagram: doc/flow.svg
doc/flow.svg: doc/flow.dot
	@command -v dot >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq graphviz >/dev/null; }
	dot -Tsvg $< -o $@

# KEEP=1 keeps the simulated node's temporary root.
demo: deps $(BUILD)/host/cn-tools
	KEEP=$(KEEP) bash testscripts/demo.sh $(BUILD)/host/cn-tools

clean:
	rm -rf $(BUILD)

FORCE:
