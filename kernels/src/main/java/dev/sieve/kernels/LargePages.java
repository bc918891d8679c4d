package dev.sieve.kernels;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.Locale;

/**
 * Memory for weight matrices, asked of Linux as transparent huge pages when it can be: an anonymous
 * {@code mmap} aligned to 2 MiB and {@code madvise(MADV_HUGEPAGE)}, unmapped when the arena closes.
 * Anywhere else (another OS, native access not enabled, a call that fails, less than 2 MiB) it is
 * {@link Arena#allocate}. Either way the memory starts zeroed.
 *
 * <p>Why: decode streams every weight byte once per token, and with 4 KiB pages each 4 KiB costs a
 * TLB miss (a two-level page walk in a virtual machine). Measured on the 2-core VM of
 * docs/BENCHMARKS.md, the 113 decode GEMVs of the 16-layer 7B shape from private copies, alternated
 * three times (uncommitted probe): best pass 23.4 / 22.6 / 23.3 GB/s on huge pages against 22.0 /
 * 22.2 / 22.7 on 4 KiB pages. The kernel may still give small pages (no free 2 MiB blocks); nothing
 * depends on getting them.
 */
public final class LargePages {
    static final long HUGE = 2L << 20;
    private static final int PROT_READ_WRITE = 0x1 | 0x2;
    private static final int MAP_PRIVATE_ANONYMOUS = 0x02 | 0x20;
    private static final int MADV_HUGEPAGE = 14;
    private static final MethodHandle MMAP;
    private static final MethodHandle MADVISE;
    private static final MethodHandle MUNMAP;

    static {
        MethodHandle mmap = null, madvise = null, munmap = null;
        try {
            // Without native access, a restricted call would print a warning in the user's process: fall back quietly instead.
            if (System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("linux")
                    && LargePages.class.getModule().isNativeAccessEnabled()) {
                Linker linker = Linker.nativeLinker();
                mmap = linker.downcallHandle(linker.defaultLookup().find("mmap").orElseThrow(), FunctionDescriptor.of(ValueLayout.ADDRESS,
                        ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG));
                madvise = linker.downcallHandle(linker.defaultLookup().find("madvise").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_INT));
                munmap = linker.downcallHandle(linker.defaultLookup().find("munmap").orElseThrow(),
                        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_LONG));
            }
        } catch (RuntimeException | LinkageError e) {
            mmap = null;
        }
        MMAP = mmap;
        MADVISE = madvise;
        MUNMAP = munmap;
    }

    private LargePages() {}

    /** Whether {@link #allocate} asks the OS for huge pages here (Linux with native access enabled). */
    public static boolean available() {
        return MMAP != null;
    }

    /** {@code bytes} of zeroed memory, 64-byte aligned at least, that lives as long as {@code arena} (which must be shared or global). */
    public static MemorySegment allocate(Arena arena, long bytes) {
        if (MMAP == null || bytes < HUGE) {
            return arena.allocate(bytes, 64);
        }
        long length = roundUp(bytes, HUGE) + HUGE;
        MemorySegment mapped;
        try {
            mapped = (MemorySegment) MMAP.invokeExact(MemorySegment.NULL, length, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1, 0L);
        } catch (Throwable t) {
            return arena.allocate(bytes, 64);
        }
        if (mapped.address() == -1L || mapped.address() == 0L) {
            return arena.allocate(bytes, 64);
        }
        long base = mapped.address();
        MemorySegment whole = mapped.reinterpret(length, arena, unused -> unmap(base, length));
        long aligned = roundUp(base, HUGE);
        MemorySegment segment = whole.asSlice(aligned - base, bytes);
        try {
            int ignored = (int) MADVISE.invokeExact(segment, roundUp(bytes, HUGE), MADV_HUGEPAGE);
        } catch (Throwable t) {
            // Small pages then: the memory is as good, only the TLB works harder.
        }
        return segment;
    }

    private static void unmap(long address, long length) {
        try {
            int ignored = (int) MUNMAP.invokeExact(MemorySegment.ofAddress(address), length);
        } catch (Throwable t) {
            // Nothing left to do at arena close; the mapping stays until the process ends.
        }
    }

    private static long roundUp(long x, long multiple) {
        return (x + multiple - 1) / multiple * multiple;
    }
}
