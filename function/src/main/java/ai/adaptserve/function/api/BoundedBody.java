package ai.adaptserve.function.api;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

/** Reads a request body, refusing one larger than the limit while reading (chunked bodies announce no length). */
public final class BoundedBody {
    private BoundedBody() {}

    /** All of {@code in}, or 413 {@code body_too_large} as soon as more than {@code maxBytes} arrive. */
    public static byte[] read(InputStream in, long maxBytes) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(maxBytes, 8192));
        byte[] buffer = new byte[8192];
        long total = 0;
        int n;
        while ((n = in.read(buffer)) != -1) {
            total += n;
            if (total > maxBytes) {
                throw new ApiException(413, ErrorCodes.BODY_TOO_LARGE, tooLargeMessage(maxBytes));
            }
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }

    static String tooLargeMessage(long maxBytes) {
        return "request body is larger than " + maxBytes + " bytes";
    }
}
