// A TCP proxy that adds latency, for bin/fault-injection's "Redis slowed" scenario: a single-file Java program.
// Every chunk read from either side is held for the delay in the control file (milliseconds, re-read every 200 ms;
// 0 or a missing file: no delay) before it is forwarded. The target port is read from the cluster's state file at
// each new connection (so Redis may be restarted on the same port behind it).
//
//   java LatencyProxy.java <listen-port> <state-file> <state-name> <delay-file>
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

public class LatencyProxy {
    static volatile long delayMs;

    public static void main(String[] args) throws Exception {
        int listen = Integer.parseInt(args[0]);
        Path state = Path.of(args[1]);
        String name = args[2];
        Path delayFile = Path.of(args[3]);
        Thread.ofPlatform().daemon().start(() -> {
            while (true) {
                try {
                    delayMs = Files.exists(delayFile) ? Long.parseLong(Files.readString(delayFile).trim()) : 0;
                    Thread.sleep(200);
                } catch (Exception e) {
                    delayMs = 0;
                }
            }
        });
        InetAddress loopback = InetAddress.getByName("127.0.0.1");
        try (ServerSocket server = new ServerSocket(listen, 128, loopback)) {
            System.out.println("latency proxy on " + listen);
            while (true) {
                Socket client = server.accept();
                Thread.ofPlatform().start(() -> {
                    try {
                        int port = Files.readAllLines(state).stream()
                                .map(l -> l.split(" "))
                                .filter(f -> f.length >= 3 && f[0].equals(name))
                                .mapToInt(f -> Integer.parseInt(f[2]))
                                .findFirst()
                                .orElseThrow();
                        Socket upstream = new Socket(loopback, port);
                        pump(client, upstream);
                        pump(upstream, client);
                    } catch (Exception e) {
                        close(client);
                    }
                });
            }
        }
    }

    static void pump(Socket from, Socket to) {
        Thread.ofPlatform().daemon().start(() -> {
            byte[] buf = new byte[65536];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) != -1) {
                    long d = delayMs;
                    if (d > 0) {
                        Thread.sleep(d);
                    }
                    out.write(Arrays.copyOf(buf, n));
                    out.flush();
                }
            } catch (Exception e) {
                // either side closed
            } finally {
                close(from);
                close(to);
            }
        });
    }

    static void close(Socket s) {
        try {
            s.close();
        } catch (Exception ignored) {
        }
    }
}
