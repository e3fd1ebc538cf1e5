import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.io.ByteUnit;

/**
 * Runs an embedded Neo4j Community DBMS with a Bolt connector on 127.0.0.1, for tests.
 * Started in the background by scripts/neo4j; not meant to be run by hand.
 *
 * Usage: java -cp 'lib/*:classes' Launcher HOME_DIR PORT [PAGECACHE_MIB]
 *
 * Prints "NEO4J_READY bolt://127.0.0.1:PORT" once the default database answers a
 * query (scripts/neo4j waits for that line), then blocks until the JVM is told to
 * stop; SIGTERM runs the shutdown hook, which shuts the DBMS down cleanly.
 */
public final class Launcher {
    public static void main(String[] args) {
        try {
            run(args);
        } catch (Throwable t) {
            // Neo4j's own non-daemon threads would keep a failed JVM alive: exit, so that
            // scripts/neo4j sees the failure at once (the hook, if registered, still runs).
            t.printStackTrace();
            System.exit(1);
        }
    }

    private static void run(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: Launcher HOME_DIR PORT [PAGECACHE_MIB]");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        int port = Integer.parseInt(args[1]);
        long pageCacheMiB = args.length > 2 ? Long.parseLong(args[2]) : 64;
        Files.createDirectories(home);

        DatabaseManagementService dbms = new DatabaseManagementServiceBuilder(home)
                .setConfig(BoltConnector.enabled, true)
                .setConfig(BoltConnector.listen_address, new SocketAddress("127.0.0.1", port))
                // Tests connect with neo4j.NoAuth(); never expose this beyond loopback.
                .setConfig(GraphDatabaseSettings.auth_enabled, false)
                // The default page cache is sized from the machine's RAM: keep it small.
                .setConfig(GraphDatabaseSettings.pagecache_memory, ByteUnit.mebiBytes(pageCacheMiB))
                .setConfig(HttpConnector.enabled, false)
                .setConfig(HttpsConnector.enabled, false)
                // No usage reports to neo4j.com from test servers (and no network for them anyway).
                .setConfig(GraphDatabaseSettings.udc_enabled, false)
                // Bolt's Netty loops wait a 5 s quiet period (twice) on shutdown; a test server
                // has no clients left by then, so stop in ~1 s instead of ~11 s.
                .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 0)
                .build();

        // SIGTERM (scripts/neo4j stop) runs this hook, which shuts the DBMS down cleanly.
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("NEO4J_STOPPING");
            try {
                dbms.shutdown();
            } finally {
                System.out.println("NEO4J_STOPPED");
                System.out.flush();
                stopped.countDown();
            }
        }, "neo4j-shutdown"));

        // Readiness = the default database exists and runs a transaction, not just an open port.
        GraphDatabaseService db = dbms.database(GraphDatabaseSettings.DEFAULT_DATABASE_NAME);
        Object one = db.executeTransactionally("RETURN 1 AS one", Map.of(),
                result -> result.next().get("one"));
        if (!Long.valueOf(1L).equals(one)) {
            throw new IllegalStateException("RETURN 1 gave " + one);
        }
        System.out.println("NEO4J_READY bolt://127.0.0.1:" + port);
        System.out.flush();

        stopped.await(); // blocks until the shutdown hook has run
    }
}
