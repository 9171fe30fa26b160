"""Value parsers shared by every pillar key: numbers, addresses, MACs, switches, text.

Apart from the option table on purpose: the table says which option takes
which kind of value; these say what a value of that kind is.
"""

import difflib
import ipaddress
import re

DECIMAL = re.compile(r"[0-9]+")
# The kernel's words for a switch, in the order of their numbers (off = 0, on = 1).
ON_OFF = {"off": False, "on": True}
_MAC = re.compile(r"[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}")
BROADCAST = ipaddress.IPv4Address("255.255.255.255")


class InvalidValue(ValueError):
    """A value a key does not accept; the message says what is allowed."""


def plain(value):
    """``value`` with every dict and list in it a plain ``dict`` and ``list``.

    Configuration arrives as Salt hands it over. Salt 3008.4 and later wrap
    pillar in dict and list subclasses (``salt.utils.secret.MaskedDict``,
    ``MaskedList``) whose ``str()`` and ``repr()`` print ``**********``, so a
    message or a diff made from them would say nothing; Salt 3006 hands plain
    data. The values inside are the same either way: the schema and the
    beacon's options take their input through this, and read it alike on both.
    """
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def describe(value, limit=60):
    """``repr(value)`` cut to ``limit`` characters, so junk input keeps messages short."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def type_name(value):
    return "None" if value is None else type(value).__name__


def is_int(value):
    """True for a real int (bool is an int subclass in Python, but not a number here)."""
    return isinstance(value, int) and not isinstance(value, bool)


def parse_decimal(value):
    """An int from an int or a string of ASCII digits, else None.

    ``str.isdigit`` and ``int()`` accept other scripts' digits ('١٠٠'); the
    kernel reads only ASCII, so do we.
    """
    if is_int(value):
        return value
    if isinstance(value, str) and DECIMAL.fullmatch(value):
        return int(value)
    return None


def suggest(word, candidates):
    """"; did you mean 'x'?" for the closest candidate, or ""."""
    if not isinstance(word, str):
        return ""
    close = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def parse_ipv4(value, what="an IPv4 address"):
    """An ``IPv4Address`` from a dotted-quad string, or InvalidValue."""
    if isinstance(value, str):
        try:
            return ipaddress.IPv4Address(value)
        except ValueError:
            pass
    raise InvalidValue(f"{describe(value)} is not {what} (dotted quad, e.g. 192.0.2.1)")


def parse_ipv6(value, what="an IPv6 address"):
    """An ``IPv6Address`` (no prefix, no scope id), or InvalidValue."""
    if isinstance(value, str) and "%" not in value:
        try:
            return ipaddress.IPv6Address(value)
        except ValueError:
            pass
    raise InvalidValue(f"{describe(value)} is not {what} (without a prefix or scope id, "
                       "e.g. 2001:db8::1)")


def host_address_problem(address):
    """Why an IPv4 address cannot be a host's or a peer's address, or None."""
    if address.is_unspecified or address.packed[0] == 0:
        return "is in 0.0.0.0/8"
    if address == BROADCAST:
        return "is the broadcast address"
    if address.is_multicast:
        return "is a multicast address"
    if address.is_loopback:
        return "is a loopback address"
    return None


_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


def parse_ipv6_interface(value):
    """An ``IPv6Interface`` from ``address/prefix``, or InvalidValue.

    Only an address an interface can be given and every reader keeps: no scope
    id (NetworkManager 1.42 drops an address with one, and the interface is
    its scope), no link-local address (the kernel makes each interface its own
    fe80::, and gives the ones it is given link scope, which no one reads as
    configuration), no site-local (deprecated) or IPv4-mapped one.
    """
    if isinstance(value, str) and "/" in value:
        if "%" in value:
            raise InvalidValue(f"{describe(value)} has a scope id (%...): an interface's "
                               "address has none, the interface is its scope")
        try:
            interface = ipaddress.IPv6Interface(value)
        except ValueError:
            pass
        else:
            ip = interface.ip
            if ip.is_multicast or ip.is_unspecified or ip.is_loopback:
                raise InvalidValue(f"{describe(value)} is not a unicast host address")
            if ip.is_link_local or ip.is_site_local or ip.ipv4_mapped is not None:
                kind = ("link-local (fe80::/10: the kernel gives each interface its own)"
                        if ip.is_link_local else "site-local (fec0::/10, deprecated)"
                        if ip.is_site_local else "IPv4-mapped (::ffff:0:0/96)")
                raise InvalidValue(f"{describe(value)} is {kind}; expected a global address")
            return interface
    raise InvalidValue(f"{describe(value)} is not an IPv6 address with its prefix "
                       "(e.g. 2001:db8::10/64)")


def parse_ip(value):
    """An IPv4 or IPv6 address (no prefix, an IPv6 scope id allowed), or InvalidValue."""
    if isinstance(value, str):
        try:
            return ipaddress.ip_address(value)
        except ValueError:
            pass
    raise InvalidValue(f"{describe(value)} is not an IP address (e.g. 192.0.2.53 or 2001:db8::53)")


def parse_unscoped_ip(value, why):
    """An IPv4 or IPv6 address without a scope id, or InvalidValue saying ``why`` none."""
    address = parse_ip(value)
    if getattr(address, "scope_id", None) is not None:
        raise InvalidValue(f"{describe(value)} has a scope id (%{address.scope_id}): {why}")
    return address


def scope_id(address):
    """The scope id of an ``ip_address`` (``fe80::1%bond0``: ``bond0``), or None."""
    return getattr(address, "scope_id", None)


def domain_problem(value):
    """Why ``value`` is not a DNS search domain, or None."""
    if not isinstance(value, str) or not value or len(value) > 253:
        return f"{describe(value)} is not a domain name"
    if not all(_LABEL.fullmatch(label) for label in value.rstrip(".").split(".")):
        return f"{describe(value)} is not a domain name (letters, digits, '-' between dots)"
    return None


def is_contiguous_netmask(mask):
    """Whether a netmask's one bits are contiguous (255.255.255.0, not 255.0.255.0)."""
    inverted = ~int(mask) & 0xFFFFFFFF
    return not inverted & (inverted + 1)  # the host part must be all ones


def mac_octets(value):
    """The six octets of a colon-separated MAC address, or None."""
    if not isinstance(value, str) or not _MAC.fullmatch(value):
        return None
    return bytes.fromhex(value.replace(":", ""))


# Words for a yes/no setting, everywhere one is taken (onboot, modprobe_options).
YES_NO = {"no": 0, "yes": 1, "off": 0, "on": 1, "false": 0, "true": 1}


def parse_flag(value):
    """True/False from a YAML bool, 0/1, or yes/no, on/off, true/false (any case); else None."""
    number = switch_number(value, YES_NO)
    return None if number is None else bool(number)


def yaml_bool_hint(value):
    """A hint when YAML turned an unquoted word into a bool, else ""."""
    if isinstance(value, bool):
        return (" (YAML reads an unquoted on/off/yes/no as true/false: quote the word, "
                "e.g. 'off')")
    return ""


def switch_number(value, names):
    """0/1 from a YAML bool, a number or a word in ``names`` ({word: number}), else None."""
    if isinstance(value, bool):  # YAML reads unquoted on/off/yes/no as bools
        return int(value)
    number = parse_decimal(value)
    if number is None and isinstance(value, str):
        number = names.get(value.lower())
    return number if number in names.values() else None


def text_problem(text):
    """Why ``text`` cannot be stored in a configuration file, or None."""
    if "\0" in text:
        return "contains a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "is not valid text (a lone surrogate)"
    return None
