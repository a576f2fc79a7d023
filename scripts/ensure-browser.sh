#!/usr/bin/env bash
# Installs what the browser tests need when it is missing: Debian's Chromium and a CJK font,
# then axe-core (the accessibility checks, tests/browser/axe.py) from the npm registry into
# tests/browser/npm/node_modules (version pinned in tests/browser/npm/package-lock.json).
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
# grep reads the whole list: with -q it would stop early and fc-list's SIGPIPE fail the pipe.
fc-list 2>/dev/null | grep -iE 'wqy|noto.*cjk' >/dev/null || need+=(fonts-wqy-zenhei)
command -v npm >/dev/null || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] && ! command -v sudo >/dev/null; then
    echo "浏览器测试需要 ${need[*]}，请以 root 身份安装（apt-get install ${need[*]}）。" >&2
    exit 1
  fi
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  echo "正在安装浏览器测试所需的软件包：${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

npm_dir=tests/browser/npm
if [ ! -f "$npm_dir/node_modules/axe-core/axe.min.js" ] \
   || [ "$npm_dir/package-lock.json" -nt "$npm_dir/node_modules/.package-lock.json" ]; then
  echo "正在安装无障碍检查工具 axe-core（npm）"
  npm ci --prefix "$npm_dir" --no-audit --no-fund --loglevel=error
fi
