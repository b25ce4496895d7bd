# The update system's Debian packages, by architecture (sourced by build.sh after
# packages.sh; build.sh adds this list to the stage-1 key).
update_packages_for() {
  case $1 in
    amd64|arm64) printf '%s\n' rauc rauc-service ;;  # RAUC 1.8: install, verify, slot status (D-Bus service)
  esac
}
# packages_for (packages.sh) plus the list above.
eval "$(declare -f packages_for | sed '1s/^packages_for/colony_base_packages_for/')"
packages_for() { colony_base_packages_for "$1"; update_packages_for "$1"; }
