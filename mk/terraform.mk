# Terraform, packaging and layers: everything checked offline on this machine.
#   make tf-check        fmt, README tables, validate, terraform test, example plan, checkov, size check
#   make package         build/functions/<name>.zip (deterministic)
#   make layers          build/layers/{gcc,gcc_pch,jdk}.zip from this host's Debian packages, checked
TF ?= terraform
TF_DIR := terraform
TF_WORK := .tf
TF_MODULE_DIRS := $(sort $(dir $(wildcard $(TF_DIR)/modules/*/main.tf)))
TF_EXAMPLE_DIRS := $(sort $(dir $(wildcard $(TF_DIR)/examples/*/main.tf)))
BUILD_DIR ?= build

# A filesystem mirror of the providers (registry.terraform.io/hashicorp/aws/<version>/<os_arch>/...),
# found among usual places or given: make tf-check TF_PROVIDER_MIRROR=/path. Empty means the registry.
TF_MIRROR_CANDIDATES ?= /opt/tf-plugins $(HOME)/.terraform.d/plugins /usr/local/share/terraform/plugins /usr/share/terraform/plugins
TF_PROVIDER_MIRROR ?= $(or $(firstword $(foreach d,$(TF_MIRROR_CANDIDATES),$(if $(wildcard $(d)/registry.terraform.io/hashicorp/aws),$(d)))),$(shell find /opt /usr/local /usr/share $(HOME) -maxdepth 6 -type d -path '*/registry.terraform.io/hashicorp/aws' 2>/dev/null | head -n1 | sed 's#/registry.terraform.io/hashicorp/aws$$##'))
TF_RC := $(abspath $(TF_WORK)/terraformrc)
# Provider plugins are shared through a cache so that each directory's init is a link, not a copy.
TF_ENV = TF_CLI_CONFIG_FILE=$(TF_RC) TF_IN_AUTOMATION=1 TF_INPUT=0

CHECKOV_VERSION ?= 3.3.30
CHECKOV_VENV := $(TF_WORK)/checkov-venv

.PHONY: tf-rc tf-init tf-docs tf-docs-check tf-fmt tf-fmt-fix tf-validate tf-test tf-plan-example checkov tf-check layers layers-local size-check FORCE

$(TF_RC): mk/terraform.mk
	@mkdir -p $(TF_WORK)/plugin-cache
	@{ echo '# written by mk/terraform.mk'; \
	  echo 'plugin_cache_dir = "$(abspath $(TF_WORK)/plugin-cache)"'; \
	  if [ -n "$(TF_PROVIDER_MIRROR)" ]; then \
	    echo 'provider_installation {'; \
	    echo '  filesystem_mirror {'; \
	    echo '    path    = "$(TF_PROVIDER_MIRROR)"'; \
	    echo '    include = ["registry.terraform.io/hashicorp/*"]'; \
	    echo '  }'; \
	    echo '  direct {'; \
	    echo '    exclude = ["registry.terraform.io/hashicorp/*"]'; \
	    echo '  }'; \
	    echo '}'; \
	  fi; } > $@
	@echo "terraform CLI config $@ (provider mirror: $(or $(TF_PROVIDER_MIRROR),none, using the registry))"

tf-rc: $(TF_RC)

# init every directory (root, modules, examples) against the mirror; the working data stays under .tf/
tf-init: $(TF_RC)
	@mkdir -p $(TF_WORK)/data; for d in $(TF_DIR)/ $(TF_MODULE_DIRS) $(TF_EXAMPLE_DIRS); do \
	  data=$(abspath $(TF_WORK))/data/$$(echo $$d | tr '/' '_'); \
	  $(TF_ENV) TF_DATA_DIR=$$data $(TF) -chdir=$$d init -backend=false -input=false -no-color >$$data.init.log 2>&1 \
	    || { mkdir -p $$data; $(TF_ENV) TF_DATA_DIR=$$data $(TF) -chdir=$$d init -backend=false -input=false -no-color; exit 1; }; \
	done

tf-fmt: $(TF_RC)
	$(TF_ENV) $(TF) fmt -check -recursive -diff $(TF_DIR)

tf-fmt-fix: $(TF_RC)
	$(TF_ENV) $(TF) fmt -recursive $(TF_DIR)

tf-validate: tf-init
	@for d in $(TF_DIR)/ $(TF_MODULE_DIRS) $(TF_EXAMPLE_DIRS); do \
	  echo "validate $$d"; \
	  $(TF_ENV) TF_DATA_DIR=$(abspath $(TF_WORK))/data/$$(echo $$d | tr '/' '_') $(TF) -chdir=$$d validate -no-color || exit 1; \
	done

tf-test: tf-init
	$(TF_ENV) TF_DATA_DIR=$(abspath $(TF_WORK))/data/$(TF_DIR)_ $(TF) -chdir=$(TF_DIR) test -no-color

# Each example planned as a team would plan it, against a mocked provider (its tests/*.tftest.hcl):
# the AZs come from data sources, which no offline plan with fake credentials can read.
tf-plan-example: tf-init
	@for d in $(TF_EXAMPLE_DIRS); do \
	  echo "plan $$d (mocked provider)"; \
	  $(TF_ENV) TF_DATA_DIR=$(abspath $(TF_WORK))/data/$$(echo $$d | tr '/' '_') $(TF) -chdir=$$d test -no-color || exit 1; \
	done

$(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION):
	@test -n "$(PYTHON312)" || { echo "Python 3.12 not found (pyenv or PATH)"; exit 1; }
	$(PYTHON312) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install -q 'checkov==$(CHECKOV_VERSION)'
	touch $@

# Skips live next to the resource they concern, each with its reason (#checkov:skip=CKV_...: why).
checkov: $(CHECKOV_VENV)/.installed-$(CHECKOV_VERSION)
	$(CHECKOV_VENV)/bin/checkov --quiet --compact --framework terraform -d $(TF_DIR) --skip-path 'terraform/tests' --download-external-modules false --skip-download

# README inputs/outputs tables between the terraform-docs markers, from variables.tf/outputs.tf.
tf-docs:
	$(or $(wildcard $(PY)),$(PYTHON312)) tools/tf_docs.py $(TF_DIR)

tf-docs-check:
	$(or $(wildcard $(PY)),$(PYTHON312)) tools/tf_docs.py --check $(TF_DIR)

tf-check: tf-fmt tf-docs-check tf-validate tf-test tf-plan-example checkov size-check

# ---- function zips and layers ---------------------------------------------------------------

package:
	$(or $(wildcard $(PY)),$(PYTHON312)) tools/package_functions.py --out $(BUILD_DIR)/functions
	$(or $(wildcard $(PY)),$(PYTHON312)) tools/check_layers.py --build-dir $(BUILD_DIR) --if-built

# The toolchain layers from this host's Debian packages (layers/build.sh), checked for what Lambda's
# loader would refuse and for the size limit (tools/check_layers.py). Rebuilt only when the build
# script or the packages they are made of change (the .packages stamp keeps its date otherwise).
LAYER_PACKAGES := cpp-12 gcc-12 g++-12 binutils-x86-64-linux-gnu libbinutils libgcc-12-dev libstdc++-12-dev \
  libc6 libc6-dev linux-libc-dev libisl23 libmpc3 libmpfr6 libgmp10 zlib1g libzstd1 libjansson4 libctf0 \
  libsframe0 libstdc++6 libgcc-s1 openjdk-17-jdk-headless openjdk-17-jre-headless
layers: $(BUILD_DIR)/layers/gcc.zip $(BUILD_DIR)/layers/gcc_pch.zip $(BUILD_DIR)/layers/jdk.zip
	$(or $(wildcard $(PY)),$(PYTHON312)) tools/check_layers.py --build-dir $(BUILD_DIR)

layers-local: layers

$(BUILD_DIR)/layers/.packages: FORCE
	@mkdir -p $(@D)
	@dpkg-query -W -f '$${Package} $${Version}\n' $(LAYER_PACKAGES) 2>/dev/null | sort >$@.new || true
	@if cmp -s $@.new $@; then rm $@.new; else mv $@.new $@; fi

# gcc.zip and gcc_pch.zip come out of one build of the GCC layer.
$(BUILD_DIR)/layers/gcc.zip $(BUILD_DIR)/layers/gcc_pch.zip &: layers/build.sh tools/detzip.py $(BUILD_DIR)/layers/.packages | $(VENV)/.installed
	PATH=$(abspath $(VENV))/bin:$$PATH PYTHON=$(or $(wildcard $(PY)),$(PYTHON312)) bash layers/build.sh $(BUILD_DIR)/layers gcc

$(BUILD_DIR)/layers/%.zip: layers/build.sh tools/detzip.py $(BUILD_DIR)/layers/.packages | $(VENV)/.installed
	PATH=$(abspath $(VENV))/bin:$$PATH PYTHON=$(or $(wildcard $(PY)),$(PYTHON312)) bash layers/build.sh $(BUILD_DIR)/layers $*

FORCE:

# Each function with its layers must stay under Lambda's 250 MB unzipped limit.
size-check:
	$(or $(wildcard $(PY)),$(PYTHON312)) tools/check_lambda_size.py --build-dir $(BUILD_DIR)
