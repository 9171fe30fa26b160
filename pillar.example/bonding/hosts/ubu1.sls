# An Ubuntu 24.04 server: two NICs in an LACP bond, the address on a tagged VLAN.
# Ubuntu runs netplan: `format: auto` writes /etc/netplan/90-salt-bond-bond0.yaml
# (mode 0600) for systemd-networkd; `netplan apply` brings it live (the state
# does not run it: README, "Debian and Ubuntu").
include:
  - bonding.defaults          # networkmanager, modprobe_options

bonding:
  bonds:
    bond0:
      mode: 802.3ad
      slaves: [eno1, eno2]    # netplan `ethernets:`, DHCP off
      miimon: 100             # mii-monitor-interval
      lacp_rate: fast         # lacp-rate
      xmit_hash_policy: layer3+4  # transmit-hash-policy
      min_links: 1            # min-links (ifupdown's ifenslave cannot set it)
      mtu: 9000
      vlans:
        100:
          ipaddr: 198.51.100.40
          prefix: 24
          gateway: 198.51.100.1
          dns: [198.51.100.53]
