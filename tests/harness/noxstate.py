"""Exec a command with ptrace(PTRACE_GETREGSET, ..., NT_X86_XSTATE) denied.

Why: Debian 12's user-mode-linux (6.1) saves its processes' FPU state with
PTRACE_GETREGSET/SETREGSET(NT_X86_XSTATE) into a fixed-size buffer. On hosts
whose CPUs have AMX the host kernel's XSTATE area is larger than that buffer,
SETREGSET fails with EFAULT and UML panics at boot ("ptrace set fp regs
failed, errno = 14"). When GETREGSET(NT_X86_XSTATE) fails at start-up, UML
falls back to PTRACE_GETFPREGS (the legacy FXSAVE area), which works. A
seccomp filter inherited across execve makes exactly that call fail.

The fallback does not preserve AVX registers across UML context switches,
so the harness also tells glibc inside UML not to use AVX (GLIBC_TUNABLES).

Usage: python noxstate.py PROGRAM [ARGS...]
"""

import ctypes
import os
import struct
import sys

AUDIT_ARCH_X86_64 = 0xC000003E
NR_PTRACE = 101
PTRACE_GETREGSET = 0x4204
NT_X86_XSTATE = 0x202
EIO = 5

BPF_LD_W_ABS = 0x20
BPF_JEQ_K = 0x15
BPF_RET_K = 0x06
SECCOMP_RET_ALLOW = 0x7FFF0000
SECCOMP_RET_ERRNO = 0x00050000

PR_SET_NO_NEW_PRIVS = 38
PR_SET_SECCOMP = 22
SECCOMP_MODE_FILTER = 2


def _stmt(code, k):
    return struct.pack("HBBI", code, 0, 0, k)


def _jeq(k, jt, jf):
    return struct.pack("HBBI", BPF_JEQ_K, jt, jf, k)


def filter_program():
    """The BPF program; offsets are those of struct seccomp_data."""
    return b"".join(
        [
            _stmt(BPF_LD_W_ABS, 4),  # arch
            _jeq(AUDIT_ARCH_X86_64, 0, 6),
            _stmt(BPF_LD_W_ABS, 0),  # syscall number
            _jeq(NR_PTRACE, 0, 4),
            _stmt(BPF_LD_W_ABS, 16),  # args[0], low word: request
            _jeq(PTRACE_GETREGSET, 0, 2),
            _stmt(BPF_LD_W_ABS, 32),  # args[2], low word: regset type
            _jeq(NT_X86_XSTATE, 1, 0),
            _stmt(BPF_RET_K, SECCOMP_RET_ALLOW),
            _stmt(BPF_RET_K, SECCOMP_RET_ERRNO | EIO),
        ]
    )


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def install_filter():
    program = filter_program()
    buf = ctypes.create_string_buffer(program, len(program))
    fprog = _SockFprog(len(program) // 8, ctypes.cast(buf, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP)")


def main(argv):
    if len(argv) < 2:
        sys.stderr.write(__doc__)
        return 2
    install_filter()
    os.execvp(argv[1], argv[1:])
    return 1  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv))
