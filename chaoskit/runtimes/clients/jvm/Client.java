// The JVM's resolver: InetAddress.getAllByName on every request, with the JDK's defaults for
// its address cache (networkaddress.cache.ttl, networkaddress.cache.negative.ttl).
// Prints one JSON line about itself, then one per request: start time (Unix seconds), how
// long it took, and the IPv4 address it got or the error. Stops after CLIENT_SECONDS.
import java.net.Inet4Address;
import java.net.InetAddress;
import java.security.Security;

public class Client {
    static String env(String name, String fallback) {
        String v = System.getenv(name);
        return v == null || v.isEmpty() ? fallback : v;
    }

    static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }

    public static void main(String[] args) throws Exception {
        String name = System.getenv("CLIENT_NAME");
        long intervalMs = Long.parseLong(env("CLIENT_INTERVAL_MS", "100"));
        double seconds = Double.parseDouble(env("CLIENT_SECONDS", "90"));
        String ttl = Security.getProperty("networkaddress.cache.ttl");
        String negative = Security.getProperty("networkaddress.cache.negative.ttl");
        String notes = "InetAddress.getAllByName; networkaddress.cache.ttl="
            + (ttl == null ? "unset (JDK default: 30 s without a security manager)" : ttl)
            + ", networkaddress.cache.negative.ttl=" + (negative == null ? "unset" : negative);
        System.out.println("{\"runtime\": \"jvm\", \"version\": "
            + quote(System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"))
            + ", \"notes\": " + quote(notes) + "}");
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < end) {
            double t = System.currentTimeMillis() / 1000.0;
            long started = System.nanoTime();
            String result;
            try {
                InetAddress[] all = InetAddress.getAllByName(name);
                String v4 = null;
                for (InetAddress a : all) {
                    if (a instanceof Inet4Address) { v4 = a.getHostAddress(); break; }
                }
                result = v4 != null ? "\"addr\": " + quote(v4) : "\"error\": \"no IPv4 address\"";
            } catch (Exception e) {
                result = "\"error\": " + quote(e.getClass().getSimpleName() + ": " + e.getMessage());
            }
            double ms = (System.nanoTime() - started) / 1e6;
            System.out.println(String.format(java.util.Locale.ROOT,
                "{\"t\": %.6f, \"ms\": %.2f, %s}", t, ms, result));
            System.out.flush();
            Thread.sleep(intervalMs);
        }
    }
}
