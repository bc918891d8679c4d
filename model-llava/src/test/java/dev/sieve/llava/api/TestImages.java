package dev.sieve.llava.api;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.Deflater;

/** Images for limit tests, built byte by byte. */
public final class TestImages {
    private TestImages() {}

    /**
     * A valid PNG header declaring {@code width x height} RGB pixels, with a few hundred bytes of deflated zeros as
     * its data: a decoder that trusted the header would allocate width x height x 3 bytes (a decompression bomb).
     */
    public static byte[] pngDeclaring(int width, int height) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
            ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
            DataOutputStream d = new DataOutputStream(ihdr);
            d.writeInt(width);
            d.writeInt(height);
            d.write(new byte[] {8, 2, 0, 0, 0});
            chunk(out, "IHDR", ihdr.toByteArray());
            Deflater deflater = new Deflater();
            deflater.setInput(new byte[100_000]);
            deflater.finish();
            byte[] buf = new byte[4096];
            int n = deflater.deflate(buf);
            chunk(out, "IDAT", java.util.Arrays.copyOf(buf, n));
            chunk(out, "IEND", new byte[0]);
            return out.toByteArray();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) throws IOException {
        DataOutputStream d = new DataOutputStream(out);
        d.writeInt(data.length);
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        d.write(t);
        d.write(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        d.writeInt((int) crc.getValue());
    }
}
