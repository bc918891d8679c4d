package dev.sieve.server;

import dev.sieve.cli.OptionChecks;
import dev.sieve.cli.UserInputException;
import dev.sieve.llava.api.SieveException;
import dev.sieve.llava.api.SieveOptions;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code sieve serve}: the OpenAI-compatible server, until interrupted. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = "Serve a llava-hf checkpoint over HTTP: OpenAI-compatible /v1/chat/completions with images, /v1/models, /health, /metrics.")
public final class ServeCommand implements Callable<Integer> {
    /** Helidon logs each start through java.util.logging at INFO; the command prints its own two lines. Held so it is not collected. */
    private static final java.util.logging.Logger HELIDON_LOG = java.util.logging.Logger.getLogger("io.helidon");
    @Option(names = "--model", required = true, paramLabel = "DIR", description = "llava-hf checkpoint directory")
    Path model;

    @Option(names = "--host", paramLabel = "ADDRESS", description = "address to listen on (default: ${DEFAULT-VALUE})")
    String host = "127.0.0.1";

    @Option(names = "--port", paramLabel = "N", description = "port, 0 for any free one (default: ${DEFAULT-VALUE})")
    int port = 8080;

    @Option(names = "--prune", paramLabel = "SPEC", description = "pruning plan of requests that give no \"sieve\": {\"prune\": ...} (default: none), e.g. vispruner:keep=64+fastv:k=2,keep=32")
    String prune = "none";

    @Option(names = "--max-batch", paramLabel = "N", description = "requests decoded together at most (default: ${DEFAULT-VALUE})")
    int maxBatch = 8;

    @Option(names = "--max-queue", paramLabel = "N", description = "requests waiting for a place at most; more get 429 (default: ${DEFAULT-VALUE})")
    int maxQueue = 64;

    @Option(names = "--threads", paramLabel = "N", description = "worker threads (default: all cores)")
    Integer threads;

    @Option(names = "--max-image-bytes", paramLabel = "N", description = "largest encoded image (default: ${DEFAULT-VALUE})")
    long maxImageBytes = SieveOptions.DEFAULT_MAX_IMAGE_BYTES;

    @Option(names = "--max-image-pixels", paramLabel = "N", description = "largest width x height, checked from the header (default: ${DEFAULT-VALUE})")
    long maxImagePixels = SieveOptions.DEFAULT_MAX_IMAGE_PIXELS;

    @Option(names = "--allow-local-images", description = "accept file: URLs and absolute paths as image URLs (off: clients could read the server's files)")
    boolean allowLocalImages;

    @Option(names = "--weights", paramLabel = "TYPE", description = dev.sieve.cli.WeightsOption.DESCRIPTION)
    String weights;

    @Option(names = "--no-mmap", description = dev.sieve.cli.WeightsOption.NO_MMAP_DESCRIPTION)
    boolean noMmap;

    @Option(names = "--pad-to-square", description = "pad images to a square with the mean colour first (LLaVA-1.5's image_aspect_ratio=pad)")
    boolean padToSquare;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws InterruptedException {
        OptionChecks.atLeast("--max-batch", maxBatch, 1);
        OptionChecks.atLeast("--max-queue", maxQueue, 0);
        OptionChecks.between("--port", port, 0, 65535);
        OptionChecks.atLeastIfGiven("--threads", threads, 1);
        OptionChecks.atLeast("--max-image-bytes", maxImageBytes, 1);
        OptionChecks.atLeast("--max-image-pixels", maxImagePixels, 1);
        SieveOptions options;
        try {
            options = SieveOptions.defaults().withThreads(threads == null ? 0 : threads).withDefaultPrune(prune).withMaxBatch(maxBatch)
                    .withPadToSquare(padToSquare).withImageLimits(maxImageBytes, maxImagePixels)
                    .withWeights(dev.sieve.cli.WeightsOption.parse(weights)).withMmap(!noMmap);
        } catch (IllegalArgumentException e) {
            throw new UserInputException(e.getMessage());
        }
        // The config and the default pruning are checked before anything listens, so bad options are one line.
        dev.sieve.llava.api.Sieve.checkPrune(model, prune);
        PrintWriter err = spec.commandLine().getErr();
        HELIDON_LOG.setLevel(java.util.logging.Level.WARNING);
        SieveServer server;
        try {
            server = SieveServer.start(new SieveServer.Config(model, host, port, options, maxQueue, allowLocalImages));
        } catch (RuntimeException e) {
            throw new UserInputException("cannot listen on " + host + ":" + port + ": " + ChatHandler.oneLine(e));
        }
        err.printf("sieve serve: listening on http://%s:%d (loading %s)%n", host, server.port(), model);
        err.flush();
        long t0 = System.nanoTime();
        try {
            server.loaded().join();
        } catch (CompletionException e) {
            server.close();
            if (e.getCause() instanceof SieveException s) {
                throw s;
            }
            throw e;
        }
        err.printf("sieve serve: %s loaded in %.0f ms; POST http://%s:%d/v1/chat/completions%n", model, (System.nanoTime() - t0) / 1e6, host,
                server.port());
        err.flush();
        CountDownLatch stop = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            stop.countDown();
        }));
        stop.await();
        return 0;
    }
}
