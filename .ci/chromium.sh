# shellcheck shell=bash
# .ci/chromium.sh — headless Chromium for the portfolio page's browser test
# (internal/e2e/browser). Source it (`. .ci/chromium.sh`); it exports
# FOREWARN_CHROMIUM. Installs Debian's chromium package with apt-get when no
# Chromium is found, the way postgres.sh installs PostgreSQL. Under CI=true
# the browser test fails (it does not skip) when no browser can be found.

_fwchr_find() {
  local n
  for n in chromium chromium-browser google-chrome google-chrome-stable; do
    if command -v "$n" >/dev/null 2>&1; then command -v "$n"; return 0; fi
  done
  return 1
}

_fwchr_main() {
  local exe
  if [ -n "${FOREWARN_CHROMIUM:-}" ] && [ -x "$FOREWARN_CHROMIUM" ]; then
    return 0
  fi
  exe=$(_fwchr_find || true)
  if [ -z "$exe" ]; then
    if [ "$(id -u)" != 0 ]; then
      printf 'chromium.sh: %s\n' "Chromium is not installed and installing it needs root (apt-get install chromium)" >&2
      return 1
    fi
    printf 'chromium.sh: %s\n' "installing chromium from Debian packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq </dev/null >&2
    apt-get install -y -qq --no-install-recommends chromium </dev/null >&2
    exe=$(_fwchr_find || true)
    if [ -z "$exe" ]; then
      printf 'chromium.sh: %s\n' "chromium was installed but is not on PATH" >&2
      return 1
    fi
  fi
  export FOREWARN_CHROMIUM="$exe"
  printf 'chromium.sh: %s\n' "using $("$exe" --version 2>/dev/null || echo "$exe")" >&2
}

_fwchr_main
