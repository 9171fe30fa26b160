# A database server: four NICs in one LACP bond to a switch stack, jumbo
# frames, and two tagged VLANs carrying the addresses.
include:
  - bonding.defaults          # networkmanager, modprobe_options

bonding:
  bonds:
    bond0:
      mode: 802.3ad
      slaves: [ens1f0, ens1f1, ens2f0, ens2f1]
      miimon: 100
      lacp_rate: fast                 # LACPDUs every second, not every 30 s
      xmit_hash_policy: layer3+4      # spread flows by IP and port
      mtu: 9000                       # jumbo frames; the switch ports must agree
      bootproto: none                 # the bond itself has no address
      ifcfg:                          # extra keys for ifcfg-bond0, written verbatim
        ETHTOOL_OPTS: "-K bond0 gro off"
      vlans:
        100:                          # ifcfg-bond0.100
          ipaddr: 198.51.100.20
          prefix: 24
          gateway: 198.51.100.1
        200:                          # storage network, no gateway
          ipaddr: 203.0.113.20
          prefix: 24
          mtu: 9000
