package dev.sieve.cli;

import dev.sieve.safetensors.DType;
import dev.sieve.safetensors.SafetensorsCheckpoint;
import dev.sieve.safetensors.TensorView;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code sieve inspect FILE|DIR}: what a checkpoint holds, without reading its data. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
        description = "List the tensors of a .safetensors file or checkpoint directory: name, dtype, shape, size; totals; metadata.")
final class InspectCommand implements Callable<Integer> {
    @Parameters(paramLabel = "FILE|DIR", description = "a .safetensors file, a *.safetensors.index.json, or a checkpoint directory")
    Path path;

    @Option(names = "--filter", paramLabel = "TEXT", description = "only tensors whose name contains TEXT")
    String filter;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try (SafetensorsCheckpoint checkpoint = SafetensorsCheckpoint.open(path)) {
            List<TensorView> tensors = checkpoint.tensors().stream()
                    .filter(t -> filter == null || t.name().contains(filter))
                    .sorted((a, b) -> NaturalOrder.INSTANCE.compare(a.name(), b.name()))
                    .toList();
            out.println(describeSource(checkpoint));
            printTable(out, tensors, checkpoint.isSharded());
            printTotals(out, tensors, filter != null);
            printMap(out, "metadata", checkpoint.metadata());
            printMap(out, "index metadata", checkpoint.indexMetadata());
        }
        return Main.EXIT_OK;
    }

    private static String describeSource(SafetensorsCheckpoint checkpoint) {
        List<Path> files = checkpoint.files();
        String fileList = files.size() == 1 ? files.get(0).getFileName().toString()
                : files.size() + " shards (" + files.stream().map(p -> p.getFileName().toString()).collect(Collectors.joining(", ")) + ")";
        return checkpoint.source() + ": " + fileList + ", " + checkpoint.tensors().size() + " tensors, " + humanBytes(checkpoint.dataBytes());
    }

    private static void printTable(PrintWriter out, List<TensorView> tensors, boolean withFile) {
        String[] header = withFile ? new String[] {"name", "dtype", "shape", "size", "file"} : new String[] {"name", "dtype", "shape", "size"};
        String[][] rows = new String[tensors.size()][];
        for (int i = 0; i < rows.length; i++) {
            TensorView t = tensors.get(i);
            String[] row = {t.name(), t.dtype().name(), Arrays.toString(t.shape()), humanBytes(t.byteSize())};
            if (withFile) {
                row = Arrays.copyOf(row, 5);
                row[4] = t.file().getFileName().toString();
            }
            rows[i] = row;
        }
        int[] width = new int[header.length];
        for (int c = 0; c < header.length; c++) {
            width[c] = header[c].length();
            for (String[] row : rows) {
                width[c] = Math.max(width[c], row[c].length());
            }
        }
        printRow(out, header, width);
        for (String[] row : rows) {
            printRow(out, row, width);
        }
    }

    private static void printRow(PrintWriter out, String[] cells, int[] width) {
        StringBuilder sb = new StringBuilder();
        for (int c = 0; c < cells.length; c++) {
            boolean rightAligned = c == 3; // sizes line up on their unit
            String cell = cells[c];
            String pad = " ".repeat(width[c] - cell.length());
            sb.append(rightAligned ? pad + cell : cell + (c == cells.length - 1 ? "" : pad));
            if (c < cells.length - 1) {
                sb.append("  ");
            }
        }
        out.println(sb.toString().stripTrailing());
    }

    private static void printTotals(PrintWriter out, List<TensorView> tensors, boolean filtered) {
        Map<DType, long[]> byDtype = new EnumMap<>(DType.class); // {tensors, elements, bytes}
        for (TensorView t : tensors) {
            long[] acc = byDtype.computeIfAbsent(t.dtype(), d -> new long[3]);
            acc[0]++;
            acc[1] += t.elementCount();
            acc[2] += t.byteSize();
        }
        long elements = byDtype.values().stream().mapToLong(a -> a[1]).sum();
        long bytes = byDtype.values().stream().mapToLong(a -> a[2]).sum();
        out.printf("total%s: %d tensors, %,d elements, %s%n", filtered ? " (filtered)" : "", tensors.size(), elements, humanBytes(bytes));
        byDtype.forEach((dtype, a) -> out.printf("  %-7s %d tensors, %,d elements, %s%n", dtype, a[0], a[1], humanBytes(a[2])));
    }

    private static void printMap(PrintWriter out, String title, Map<String, String> map) {
        if (map.isEmpty()) {
            return;
        }
        out.println(title + ":");
        map.forEach((k, v) -> out.println("  " + k + " = " + v));
    }

    /** Bytes in binary units with one decimal (exact bytes below 1 KiB). */
    static String humanBytes(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format("%.1f %s", v, units[u]);
    }
}
