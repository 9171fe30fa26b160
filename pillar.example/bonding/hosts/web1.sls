# A web server: two NICs in active-backup, one static address.
include:
  - bonding.defaults          # networkmanager, modprobe_options

bonding:
  bonds:
    bond0:
      mode: active-backup     # kernel name or number 0-6, any case
      slaves: [eth0, eth1]    # each gets ifcfg-<slave> with MASTER=bond0
      miimon: 100             # any kernel bonding option, by its kernel name
      primary: eth0           # must be one of the slaves
      bootproto: static       # none | static | dhcp (static when ipaddr is set)
      ipaddr: 192.0.2.10
      prefix: 24              # or netmask: 255.255.255.0
      gateway: 192.0.2.1      # default route through this bond
      onboot: true            # ONBOOT=yes: bring the bond up at boot (the default)
