#!/usr/bin/env bash
# Install Debian's headless Chromium for the report's browser test, where it is missing and apt can get it.
# The browser test skips with a reason when this fails, so a machine without it still runs the rest.
set -u
# fonts-noto-cjk: without a CJK font the report's Chinese renders as boxes in the screenshot.
command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "CJK" && exit 0
[ "$(id -u)" = "0" ] || { echo "chromium missing and not root: the browser test will skip"; exit 0; }
command -v apt-get >/dev/null 2>&1 || { echo "no apt-get: the browser test will skip"; exit 0; }
(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null) \
  || echo "could not install chromium: the browser test will skip"
