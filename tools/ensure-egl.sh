#!/usr/bin/env bash
# Offscreen OpenGL for the renderer (drnet/data/render.py): Mesa's EGL + llvmpipe. Installs Debian's packages when they
# are missing and we may (root + apt-get); otherwise says how, and the render stages fail with the same hint.
set -euo pipefail
if ldconfig -p 2>/dev/null | grep -q 'libEGL_mesa.so.0' && ldconfig -p | grep -q 'libEGL.so.1'; then
  exit 0
fi
PKGS="libegl1 libegl-mesa0 libgl1-mesa-dri"
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing $PKGS (offscreen OpenGL for the mesh renderer)"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $PKGS >/dev/null
else
  echo "warning: no EGL driver found; install $PKGS (e.g. sudo apt-get install $PKGS) to render chairs/NORB objects" >&2
fi
