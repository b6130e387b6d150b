"""The cores edgenn builds for, as data: compiler, flags, start-up, memory map and emulator of each.

A target is a record, not a branch in the code: the firmware build, the runner, the instruction
counter, the CMake toolchain files and the docs all read this table. The kernels themselves know
no target: they pick their variant from the compiler's feature macros (`__ARM_FEATURE_DSP`), so any
build with the right `-mcpu` gets the fast path.

Each device target lists the emulated boards it runs on, in order of preference; a build links for
the first whose memory holds the model (the Cortex-M0+ runs small models on the micro:bit's 16 KB
and larger ones on an MPS2 board with unaligned accesses trapping, as the M0+ does).
"""

from __future__ import annotations

from dataclasses import dataclass

KIB = 1024
MIB = 1024 * KIB

ARM_TOOLS = (
    ("arm-none-eabi-gcc", "gcc-arm-none-eabi libnewlib-arm-none-eabi"),
    ("arm-none-eabi-size", "binutils-arm-none-eabi"),
    ("arm-none-eabi-nm", "binutils-arm-none-eabi"),
    ("qemu-system-arm", "qemu-system-arm"),
)
RISCV_TOOLS = (
    ("riscv64-unknown-elf-gcc", "gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf"),
    ("riscv64-unknown-elf-size", "binutils-riscv64-unknown-elf"),
    ("riscv64-unknown-elf-nm", "binutils-riscv64-unknown-elf"),
    ("qemu-system-riscv32", "qemu-system-misc"),
)
# newlib's semihosting library (rdimon) gives the test runner its files on the Arm cores.
ARM_LIBS = ("-nostartfiles", "--specs=rdimon.specs")


@dataclass(frozen=True)
class Machine:
    """An emulated board: QEMU's machine name and where its code and data memories lie."""

    name: str
    board: str  # what it emulates, in words
    flash: tuple[int, int]  # (origin, bytes) for code and constants
    ram: tuple[int, int]  # (origin, bytes) for data, the arena, heap and stack

    def defsyms(self) -> tuple[str, ...]:
        """The memory map as linker symbols, which the linker scripts read."""
        values = {
            "__flash": self.flash[0],
            "__flash_size": self.flash[1],
            "__ram": self.ram[0],
            "__ram_size": self.ram[1],
        }
        return tuple(f"-Wl,--defsym={k}=0x{v:x}" for k, v in values.items())


@dataclass(frozen=True)
class Target:
    name: str
    core: str  # architecture and extensions, in words
    cc: str
    cflags: tuple[str, ...]  # what selects the core: int8 models build with these alone, as a user's -mcpu build does
    prefix: str = ""  # binutils prefix ("arm-none-eabi-"); "" for the host's own
    ldflags: tuple[str, ...] = ()
    startup: str | None = None  # under edgenn/firmware/targets/
    linker_script: str | None = None  # under edgenn/firmware/targets/; None: the C library's own
    machines: tuple[Machine, ...] = ()  # () for the host: runs natively
    qemu: str | None = None
    qemu_args: tuple[str, ...] = ()
    tools: tuple[tuple[str, str], ...] = (("gcc", "gcc"), ("size", "binutils"))
    features: tuple[str, ...] = ()  # the compiler's feature macros the kernels act on
    # The floating-point unit, for firmware with float code (the audio frontend): the hard-float ABI.
    # An int8 model needs none of it; every object of one firmware must share the choice.
    fpu: tuple[str, ...] = ()

    def flags(self, float_code: bool = False) -> tuple[str, ...]:
        """The compiler flags of a build: the core's, and the FPU's for firmware with float code."""
        return (*self.cflags, *self.fpu) if float_code else self.cflags

    @property
    def is_device(self) -> bool:
        return bool(self.machines)

    @property
    def size(self) -> str:
        return f"{self.prefix}size"

    @property
    def nm(self) -> str:
        return f"{self.prefix}nm"

    def machine(self, name: str) -> Machine:
        for m in self.machines:
            if m.name == name:
                return m
        raise KeyError(name)

    def qemu_command(self, machine: Machine, elf: str) -> list[str]:
        """The emulator on `machine`, semihosting to the host's files in its working directory, no display or serial."""
        return [
            str(self.qemu),
            "-M",
            machine.name,
            *self.qemu_args,
            "-display",
            "none",
            "-monitor",
            "none",
            "-serial",
            "none",
            "-semihosting-config",
            "enable=on,target=native",
            "-kernel",
            elf,
        ]


def _cortex_m(name: str, core: str, cpu: str, fpu: tuple[str, ...], machines: tuple[Machine, ...], features=()):
    # Helium lives in the FPU's registers: the M55's vector code needs the hard-float ABI even for int8.
    mve = "__ARM_FEATURE_MVE" in features
    return Target(
        name=name,
        core=core,
        cc="arm-none-eabi-gcc",
        prefix="arm-none-eabi-",
        cflags=(f"-mcpu={cpu}", "-mthumb", *(fpu if mve else ())),
        fpu=() if mve else fpu,
        ldflags=ARM_LIBS,
        startup="cortex-m/startup.c",
        linker_script="cortex-m/cortex-m.ld",
        machines=machines,
        qemu="qemu-system-arm",
        tools=ARM_TOOLS,
        features=features,
    )


# The MPS2 FPGA images share one memory map: 4 MiB of code SRAM at 0, 4 MiB of data SRAM at 0x20000000.
MPS2 = {"flash": (0x0, 4 * MIB), "ram": (0x20000000, 4 * MIB)}
# The TrustZone images boot in the secure state: their memories are used through the secure aliases.
AN505 = Machine("mps2-an505", "MPS2 AN505 (Cortex-M33)", flash=(0x10000000, 4 * MIB), ram=(0x38000000, 4 * MIB))
AN547 = Machine("mps3-an547", "MPS3 AN547 (Cortex-M55)", flash=(0x10000000, 512 * KIB), ram=(0x30000000, 512 * KIB))
MICROBIT = Machine("microbit", "BBC micro:bit (nRF51, Cortex-M0)", flash=(0x0, 256 * KIB), ram=(0x20000000, 16 * KIB))
AN385 = Machine("mps2-an385", "MPS2 AN385 (Cortex-M3)", **MPS2)

TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        # The host build runs where it is built: -march=native lets the kernels take the widest
        # vector unit there is (AVX2's 16-value multiply-adds on x86-64; SSE2's 8 without it).
        Target(name="host", core="this machine (gcc -march=native)", cc="gcc", cflags=("-march=native",)),
        # Armv6-M has no unaligned accesses: the start-up switches trapping on (CCR.UNALIGN_TRP), which
        # the MPS2 board's Cortex-M3 honours too, so a kernel that would fault on an M0+ faults here.
        _cortex_m("cortex-m0plus", "Armv6-M", "cortex-m0plus", (), (MICROBIT, AN385)),
        _cortex_m("cortex-m3", "Armv7-M", "cortex-m3", (), (AN385,)),
        _cortex_m(
            "cortex-m4",
            "Armv7E-M + DSP + FPv4-SP",
            "cortex-m4",
            ("-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"),
            (Machine("mps2-an386", "MPS2 AN386 (Cortex-M4)", **MPS2),),
            ("__ARM_FEATURE_DSP",),
        ),
        _cortex_m(
            "cortex-m7",
            "Armv7E-M + DSP + FPv5-DP",
            "cortex-m7",
            ("-mfloat-abi=hard", "-mfpu=fpv5-d16"),
            (Machine("mps2-an500", "MPS2 AN500 (Cortex-M7)", **MPS2),),
            ("__ARM_FEATURE_DSP",),
        ),
        _cortex_m(
            "cortex-m33",
            "Armv8-M Mainline + DSP + FPv5-SP",
            "cortex-m33",
            ("-mfloat-abi=hard", "-mfpu=fpv5-sp-d16"),
            (AN505,),
            ("__ARM_FEATURE_DSP",),
        ),
        _cortex_m(
            "cortex-m55",
            "Armv8.1-M Mainline + MVE (Helium) + DSP",
            "cortex-m55",
            ("-mfloat-abi=hard",),
            (AN547,),
            ("__ARM_FEATURE_DSP", "__ARM_FEATURE_MVE"),
        ),
        # picolibc's own start-up (crt0, "hosted": main's return value is the exit status) and
        # linker script, placed by the same memory symbols; semihosting gives the runner its files.
        Target(
            name="riscv32",
            core="RV32IMC",
            cc="riscv64-unknown-elf-gcc",
            prefix="riscv64-unknown-elf-",
            cflags=("-march=rv32imc", "-mabi=ilp32", "--specs=picolibc.specs"),
            ldflags=("--oslib=semihost", "--crt0=hosted", "-Wl,--defsym=__stack_size=0x4000"),
            machines=(Machine("virt", "QEMU RISC-V virt", flash=(0x80000000, 4 * MIB), ram=(0x80400000, 4 * MIB)),),
            qemu="qemu-system-riscv32",
            qemu_args=("-bios", "none"),
            tools=RISCV_TOOLS,
        ),
    )
}
DEVICE_TARGETS = tuple(name for name, t in TARGETS.items() if t.is_device)
