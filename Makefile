# tinydistill: `make demo` runs the whole chain on the shipped data, `make test` the suite.
# Both set everything up first: the cross compilers and QEMU (apt-get, when missing)
# and a virtual environment in .venv with the project and its test extras.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TD := $(VENV)/bin/tinydistill
APT_PACKAGES := gcc make gcc-arm-none-eabi libnewlib-arm-none-eabi binutils-arm-none-eabi \
	qemu-system-arm qemu-system-misc gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf \
	gcc-xtensa-lx106 picolibc-xtensa-lx106-elf binutils-xtensa-lx106 chromium chromium-driver postgresql
export TF_CPP_MIN_LOG_LEVEL := 2
DEMO_RUN ?= runs/demo

.PHONY: setup toolchains venv demo test clean

setup: toolchains venv

toolchains:
	@dpkg -s $(APT_PACKAGES) >/dev/null 2>&1 || { \
		echo "Installing cross compilers and QEMU: $(APT_PACKAGES)"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(APT_PACKAGES) >/dev/null; }

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

demo: setup
	$(PY) -m tinydistill.demo --out $(DEMO_RUN)

test: setup
	$(PY) -m pytest -q

clean:
	rm -rf runs build .pytest_cache
