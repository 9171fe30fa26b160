# An application server with two bonds: management on a static address,
# service traffic on a DHCP-configured adaptive load-balancing bond.
include:
  - bonding.defaults          # networkmanager, modprobe_options

bonding:
  bonds:
    bond0:
      mode: active-backup
      slaves: [eno1, eno2]
      miimon: 100
      ipaddr: 192.0.2.30
      netmask: 255.255.255.0
      gateway: 192.0.2.1
    bond1:
      mode: balance-alb
      slaves: [ens3f0, ens3f1]
      miimon: 100
      bootproto: dhcp         # the address comes from DHCP: no ipaddr here
