# A Debian 12 application server: two NICs in active-backup, one static address.
# Left to `format: auto`, the minion decides: ifupdown files in
# /etc/network/interfaces.d (ifenslave brings the bond up) where ifupdown and
# ifenslave are installed, netplan files where netplan is.
include:
  - bonding.defaults          # networkmanager, modprobe_options

bonding:
  bonds:
    bond0:
      mode: active-backup
      slaves: [enp1s0, enp2s0]  # bond-slaves in /etc/network/interfaces.d/bond0
      miimon: 100
      primary: enp1s0
      ipaddr: 192.0.2.40
      prefix: 24
      gateway: 192.0.2.1
      dns: [192.0.2.53]       # dns-nameservers (read by resolvconf, where installed)
      domain: [example.com]
