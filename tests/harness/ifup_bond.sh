#!/bin/bash
# ifup_bond.sh IFCFG_DIR BOND: bring BOND up from the ifcfg files in IFCFG_DIR
# the way RHEL initscripts do (network-scripts/ifup-eth and the
# install_bonding_driver of network-functions), for the real-kernel tests:
#
#   1. source ifcfg-BOND with bash; nothing happens without BONDING_OPTS;
#   2. create the bond (echo +BOND > /sys/class/net/bonding_masters);
#   3. while it has no slaves: link down, then each BONDING_OPTS word
#      key=value (cut at the first and the last '=') to bonding/<key>: mode and
#      miimon first, then the others except primary; arp_ip_target split on
#      commas, each written as +address;
#   4. MTU, link up, then every ifcfg-* with MASTER=BOND and SLAVE=yes:
#      slave link down, echo +DEVICE > bonding/slaves;
#   5. primary; the addresses (IPADDR with PREFIX or NETMASK), GATEWAY;
#   6. every ifcfg-* with VLAN=yes on BOND (PHYSDEV, or DEVICE=BOND.<vid>):
#      ip link add link BOND name DEVICE type vlan id <vid>, MTU, addresses, up.
#
# Unlike initscripts, which log a failed write and go on, every failure is
# reported on stderr and makes the exit status 1. Each write is echoed on stdout.
set -u

dir=$1
bond=$2
net=/sys/class/net
status=0

fail() {
    echo "ifup_bond: $*" >&2
    status=1
}

run() {
    echo "+ $*"
    "$@" || fail "failed: $*"
}

to_sysfs() {  # value path: what `echo $value > path` does in initscripts
    echo "+ echo $1 > $2"
    echo "$1" 2>/dev/null >"$2" || fail "the kernel refused: echo $1 > $2"
}

# Print NAME=value for the keys below after sourcing one file in a subshell,
# so no file's variables leak into the next.
read_ifcfg() {
    (
        unset DEVICE TYPE BONDING_OPTS MASTER SLAVE VLAN PHYSDEV MTU IPADDR PREFIX \
            NETMASK GATEWAY
        # shellcheck disable=SC1090
        . "$1" || exit 1
        for key in DEVICE TYPE BONDING_OPTS MASTER SLAVE VLAN PHYSDEV MTU IPADDR PREFIX \
            NETMASK GATEWAY; do
            printf '%s=%q\n' "$key" "${!key-}"
        done
    )
}

load() {  # load FILE: set the variables of FILE in this shell
    local text
    text=$(read_ifcfg "$1") || { fail "cannot source $1"; return 1; }
    eval "$text"
}

prefix_of() {  # a dotted netmask -> its prefix length
    local IFS=. bits=0 octet
    for octet in $1; do
        while [ "$octet" -gt 0 ]; do
            bits=$((bits + (octet & 1)))
            octet=$((octet >> 1))
        done
    done
    echo "$bits"
}

addresses() {  # the addresses of the file loaded last, on device $1
    [ -n "$MTU" ] && run ip link set dev "$1" mtu "$MTU"
    if [ -n "$IPADDR" ]; then
        local prefix=$PREFIX
        [ -z "$prefix" ] && [ -n "$NETMASK" ] && prefix=$(prefix_of "$NETMASK")
        run ip addr add "$IPADDR/${prefix:-32}" dev "$1"
    fi
}

is_yes() {
    case "$1" in [Yy]|[Yy][Ee][Ss]|[Tt][Rr][Uu][Ee]|1) return 0 ;; esac
    return 1
}

load "$dir/ifcfg-$bond" || exit 1
device=${DEVICE:-$bond}
if [ -z "$BONDING_OPTS" ]; then
    echo "ifup_bond: ifcfg-$bond has no BONDING_OPTS: initscripts would not create a bond" >&2
    exit 1
fi
bond_mtu=$MTU bond_ipaddr=$IPADDR bond_prefix=$PREFIX bond_netmask=$NETMASK
bond_gateway=$GATEWAY

# 2. create
if ! grep -qw "$device" "$net/bonding_masters" 2>/dev/null; then
    to_sysfs "+$device" "$net/bonding_masters"
fi

# 3. options, while the bond has no slaves (install_bonding_driver)
keys=() values=()
if [ -f "$net/$device/bonding/slaves" ] && [ -z "$(cat "$net/$device/bonding/slaves")" ]; then
    run ip link set dev "$device" down
    for arg in $BONDING_OPTS; do
        keys+=("${arg%%=*}")
        values+=("${arg##*=}")
    done
    for i in "${!keys[@]}"; do
        case "${keys[$i]}" in
            mode|miimon) to_sysfs "${values[$i]}" "$net/$device/bonding/${keys[$i]}" ;;
        esac
    done
    for i in "${!keys[@]}"; do
        key=${keys[$i]} value=${values[$i]}
        case "$key" in
            mode|miimon|primary) ;;
            arp_ip_target)
                IFS=, read -ra targets <<<"${value#+}"
                for target in "${targets[@]}"; do
                    to_sysfs "+$target" "$net/$device/bonding/arp_ip_target"
                done ;;
            *) to_sysfs "$value" "$net/$device/bonding/$key" ;;
        esac
    done
else
    fail "$device already has slaves: initscripts would not apply BONDING_OPTS"
fi

# 4. MTU, up, slaves (ifup-eth, then ifup of each slave file)
MTU=$bond_mtu IPADDR='' PREFIX='' NETMASK=''
addresses "$device"
run ip link set dev "$device" up
for file in "$dir"/ifcfg-*; do
    load "$file" || continue
    [ "$MASTER" = "$device" ] && is_yes "$SLAVE" || continue
    if ! grep -qw "$DEVICE" "$net/$device/bonding/slaves"; then
        run ip link set dev "$DEVICE" down
        to_sysfs "+$DEVICE" "$net/$device/bonding/slaves"
    fi
done

# 5. primary once its slave is there; then the bond's addresses
for i in "${!keys[@]}"; do
    [ "${keys[$i]}" = primary ] && to_sysfs "${values[$i]}" "$net/$device/bonding/primary"
done
MTU='' IPADDR=$bond_ipaddr PREFIX=$bond_prefix NETMASK=$bond_netmask
addresses "$device"
[ -n "$bond_gateway" ] && run ip route replace default via "$bond_gateway" dev "$device"

# 6. VLANs on the bond
for file in "$dir"/ifcfg-*; do
    load "$file" || continue
    is_yes "$VLAN" || continue
    physdev=${PHYSDEV:-${DEVICE%.*}}
    [ "$physdev" = "$device" ] || continue
    vid=${DEVICE##*.}
    run ip link add link "$device" name "$DEVICE" type vlan id "$vid"
    addresses "$DEVICE"
    run ip link set dev "$DEVICE" up
done

exit $status
