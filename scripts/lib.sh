# Shared helpers for the set-up scripts: progress lines, bilingual failures, package installs.
# shellcheck shell=bash

step() { printf '\033[1;34m==>\033[0m %s\n' "$*"; }
ok() { printf '    \033[32mok\033[0m %s\n' "$*"; }
# die "English message" "中文信息"
die() {
  printf '\033[1;31mERROR:\033[0m %s\n' "$1" >&2
  [ -n "${2:-}" ] && printf '\033[1;31m错误：\033[0m%s\n' "$2" >&2
  exit 1
}

pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

# Installs Debian packages as root, or through passwordless sudo; otherwise says what to run.
apt_install() {
  [ "$#" -gt 0 ] || return 0
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      sudo="sudo -n"
    else
      die "Missing system packages: $*. Run: sudo apt-get install -y $*  (then run make again)" \
        "缺少系统软件包：$*。请执行：sudo apt-get install -y $*（然后重新运行 make）"
    fi
  fi
  step "Installing system packages: $*"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -q >/dev/null ||
    die "apt-get update failed; check the network or the apt sources." "apt-get update 失败，请检查网络或软件源。"
  $sudo apt-get install -y -q --no-install-recommends "$@" >/dev/null ||
    die "apt-get install $* failed (see above)." "apt-get install $* 失败（见上文）。"
}
