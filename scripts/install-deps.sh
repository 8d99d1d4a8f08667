#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only
# Installs everything btrfs-dax-progs needs to build, test and benchmark on
# Debian 12 (run as root).  Stock btrfs-progs 6.2 is the reference the tests
# compare against.
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
	build-essential autoconf automake pkg-config \
	uuid-dev libblkid-dev zlib1g-dev libzstd-dev liblzo2-dev \
	libxxhash-dev libgcrypt20-dev python3-docutils \
	btrfs-progs attr e2fsprogs util-linux kmod hyperfine time \
	clang libclang-rt-14-dev \
	>/dev/null
