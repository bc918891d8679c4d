package dev.sieve.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sieve.llava.api.SieveOptions;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * On the random-weight tiny model, which never says </s> and so decodes for as long as it is allowed: a client that
 * leaves mid-stream frees its place, and a full queue answers 429 until it does.
 */
class DisconnectTest {
    @TempDir
    Path dir;

    @Test
    void aClientThatDisconnectsMidStreamFreesItsPlace() throws Exception {
        Path model = Http.tinyModel(dir);
        // One place, no queue: while the stream holds the place, any other request is refused with 429.
        try (SieveServer server = Http.start(model, SieveOptions.defaults().withThreads(1).withMaxBatch(1), 0, false)) {
            java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(56, 56, java.awt.image.BufferedImage.TYPE_INT_RGB);
            Path png = dir.resolve("img.png");
            javax.imageio.ImageIO.write(img, "png", png.toFile());
            ObjectNode body = Http.chat(Http.dataUri(png), "Say a lot.", 400).put("stream", true);
            HttpResponse<InputStream> r = Http.CLIENT.send(Http.post(server.port(), body.toString()), HttpResponse.BodyHandlers.ofInputStream());
            assertThat(r.statusCode()).isEqualTo(200);
            BufferedReader reader = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8));
            assertThat(reader.readLine()).startsWith("data: {");

            Http.Response busy = Http.post(server.port(), Http.chat(Http.dataUri(png), "x", 4));
            assertThat(busy.status()).isEqualTo(429);
            assertThat(busy.json().path("error").path("message").asText()).contains("busy");

            r.body().close();  // the client goes away mid-stream
            long deadline = System.nanoTime() + 20_000_000_000L;
            while (Http.metric(server.port(), "sieve_requests_cancelled_total") < 1 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(Http.metric(server.port(), "sieve_requests_cancelled_total")).isEqualTo(1);
            // The place is free again: the next request is answered, and the cancelled one generated no answer.
            Http.Response next = Http.post(server.port(), Http.chat(Http.dataUri(png), "x", 4));
            assertThat(next.status()).as(next.text()).isEqualTo(200);
            assertThat(Http.metric(server.port(), "sieve_generated_tokens_total")).isEqualTo(4);
            assertThat(Http.metric(server.port(), "sieve_running_requests")).isEqualTo(0);
        }
    }
}
