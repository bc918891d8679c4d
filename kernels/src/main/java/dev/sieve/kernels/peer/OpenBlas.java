package dev.sieve.kernels.peer;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.util.List;
import java.util.Optional;

/**
 * OpenBLAS through FFM downcalls, found at run time: the peer Sieve's kernels are measured
 * against, never a dependency. {@link #load()} is empty when no libopenblas is installed
 * (Debian: {@code apt-get install libopenblas-dev}).
 */
public final class OpenBlas {
    private static final int ROW_MAJOR = 101;
    private static final int NO_TRANS = 111;
    private static final int TRANS = 112;
    private static final List<String> CANDIDATES = List.of("libopenblas.so.0", "libopenblas.so",
            "/usr/lib/x86_64-linux-gnu/libopenblas.so.0", "/usr/lib/aarch64-linux-gnu/libopenblas.so.0",
            "/usr/local/lib/libopenblas.so", "/opt/homebrew/opt/openblas/lib/libopenblas.dylib");

    private final String library;
    private final MethodHandle sgemm;
    private final MethodHandle sgemv;
    private final MethodHandle setThreads;
    private final MethodHandle config;

    private OpenBlas(String library, SymbolLookup lookup) {
        Linker linker = Linker.nativeLinker();
        ValueLayout i = ValueLayout.JAVA_INT;
        ValueLayout f = ValueLayout.JAVA_FLOAT;
        ValueLayout p = ValueLayout.ADDRESS;
        this.library = library;
        this.sgemm = linker.downcallHandle(lookup.find("cblas_sgemm").orElseThrow(),
                FunctionDescriptor.ofVoid(i, i, i, i, i, i, f, p, i, p, i, f, p, i));
        this.sgemv = linker.downcallHandle(lookup.find("cblas_sgemv").orElseThrow(),
                FunctionDescriptor.ofVoid(i, i, i, i, f, p, i, p, i, f, p, i));
        this.setThreads = lookup.find("openblas_set_num_threads")
                .map(s -> linker.downcallHandle(s, FunctionDescriptor.ofVoid(i))).orElse(null);
        this.config = lookup.find("openblas_get_config")
                .map(s -> linker.downcallHandle(s, FunctionDescriptor.of(p))).orElse(null);
    }

    /** The installed OpenBLAS, or empty when none can be loaded. */
    public static Optional<OpenBlas> load() {
        for (String name : CANDIDATES) {
            try {
                SymbolLookup lookup = SymbolLookup.libraryLookup(name, Arena.global());
                if (lookup.find("cblas_sgemm").isPresent()) {
                    return Optional.of(new OpenBlas(name, lookup));
                }
            } catch (IllegalArgumentException | IllegalCallerException notThere) {
                // try the next name
            }
        }
        return Optional.empty();
    }

    /** Which library file answered, and OpenBLAS's own build description when it has one. */
    public String describe() {
        if (config == null) {
            return library;
        }
        try {
            MemorySegment s = (MemorySegment) config.invokeExact();
            return library + " (" + s.reinterpret(256).getString(0) + ")";
        } catch (Throwable t) {
            return library;
        }
    }

    public void setThreads(int threads) {
        if (setThreads != null) {
            try {
                setThreads.invokeExact(threads);
            } catch (Throwable t) {
                throw new IllegalStateException(t);
            }
        }
    }

    /** C[m,n] = A[m,k] · W[n,k]ᵀ, all row-major F32 in native memory (cblas_sgemm, B transposed). */
    public void sgemmTransposedB(MemorySegment a, int m, int k, MemorySegment w, int n, MemorySegment c) {
        try {
            sgemm.invokeExact(ROW_MAJOR, NO_TRANS, TRANS, m, n, k, 1f, a, k, w, k, 0f, c, n);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** y[n] = W[n,k] · x[k] (cblas_sgemv, row-major, no transpose). */
    public void sgemv(MemorySegment w, int n, int k, MemorySegment x, MemorySegment y) {
        try {
            sgemv.invokeExact(ROW_MAJOR, NO_TRANS, n, k, 1f, w, k, x, 1, 0f, y, 1);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }
}
