#!/usr/bin/env bash
# Installs the Debian packages the build and the tests need, and only those that are missing,
# so that `make test` works on a fresh machine. Run as root or with sudo available.
set -euo pipefail

packages=(
	build-essential cmake pkg-config
	libssl-dev openssl       # libcrypto: SHA-256, AES-GCM, AES-CMAC, RSA; the CLI for test vectors
	libcmocka-dev            # unit tests
	bc                       # independent big-number arithmetic for the SIGSTRUCT test vector
	libelf-dev               # reading ELF images (enclave packing, vDSO)
	libcapstone-dev          # decoding x86 code: `sgxemu run --patch-cpuid` finds real CPUID instructions
	linux-libc-dev           # <asm/sgx.h>, the uAPI we implement
	clang libclang-rt-dev    # libFuzzer and the sanitizer runtimes
	gdb                      # the debugging script's test
)

missing=()
for pkg in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$pkg")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

echo "setup: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
	if ! command -v sudo >/dev/null; then
		echo "setup: need root (or sudo) to install: ${missing[*]}" >&2
		exit 1
	fi
	sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
if ! $sudo apt-get install -y --no-install-recommends "${missing[@]}"; then
	$sudo apt-get update
	$sudo apt-get install -y --no-install-recommends "${missing[@]}"
fi
