package dev.tower.spark.cds;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import scala.Tuple2;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * A training run: a real executor, started by Spark's own launcher from the Spark home's jars, runs a few small jobs
 * of the usual kinds — a map and reduce, words of a text file counted through a shuffle and written out, a DataFrame
 * aggregation, a Parquet file written and read back — while its JVM lists every class it loads
 * ({@code -XX:DumpLoadedClassList}). That list is what the archive holds: the classes of starting an executor,
 * registering with the driver and running the first tasks.
 *
 * <p>The driver is this JVM, on a one-worker Spark cluster inside it ({@code local-cluster}); no Tower is needed.
 */
final class ExecutorTraining {
    private static final String EXECUTOR_CLASS = "org/apache/spark/executor/CoarseGrainedExecutorBackend";

    private final Path home;
    private final Path work;

    /**
     * @param home the Spark home whose jars the executor runs from (this JVM's {@code SPARK_HOME})
     * @param work an empty scratch directory, which the caller deletes
     */
    ExecutorTraining(Path home, Path work) {
        this.home = home;
        this.work = work;
    }

    /** Runs the jobs and returns the executor's class list. */
    Path run() throws IOException, InterruptedException {
        Path classList = work.resolve("executor-classes.lst");
        // Spark's worker keeps each executor's output under <SPARK_HOME>/work: leave no trace of this one.
        Path workerDir = home.resolve("work");
        boolean hadWorkerDir = Files.exists(workerDir);
        SparkConf conf = new SparkConf(false)
                .setMaster("local-cluster[1,2,1024]")
                .setAppName("tower-executor-class-data-training")
                .set("spark.driver.host", "127.0.0.1")
                .set("spark.driver.bindAddress", "127.0.0.1")
                .set("spark.ui.enabled", "false")
                .set("spark.executor.memory", "512m")
                .set("spark.sql.shuffle.partitions", "2")
                .set("spark.executor.extraJavaOptions", "'-XX:DumpLoadedClassList=" + classList + "'");
        String appId = null;
        try (SparkSession spark = SparkSession.builder().config(conf).getOrCreate()) {
            appId = spark.sparkContext().applicationId();
            jobs(spark);
        } finally {
            if (!hadWorkerDir) {
                deleteTree(workerDir);
            } else if (appId != null) {
                deleteTree(workerDir.resolve(appId));
            }
        }
        awaitExecutorClasses(classList);
        return classList;
    }

    private void jobs(SparkSession spark) throws IOException {
        JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());

        List<Integer> numbers = IntStream.range(0, 20_000).boxed().toList();
        long inside = sc.parallelize(numbers, 4).filter(i -> {
            double x = (i * 7919 % 20_000) / 10_000.0 - 1;
            double y = (i * 104_729 % 20_000) / 10_000.0 - 1;
            return x * x + y * y <= 1;
        }).count();
        check(inside > 0, "the map and reduce counted nothing");

        Path text = work.resolve("words.txt");
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            lines.add("w" + (i % 97) + " w" + (i % 13) + " w" + (i * 31 % 211));
        }
        Files.write(text, lines, StandardCharsets.UTF_8);
        JavaPairRDD<String, Long> counts = sc.textFile(text.toString(), 2)
                .flatMap(line -> Arrays.asList(line.split(" ")).iterator())
                .mapToPair(word -> new Tuple2<>(word, 1L))
                .reduceByKey(Long::sum);
        counts.saveAsTextFile(work.resolve("counts").toString());
        List<Tuple2<Long, String>> top = counts.mapToPair(Tuple2::swap).sortByKey(false).take(3);
        check(!top.isEmpty(), "the word count found no words");

        Dataset<Row> groups = spark.range(0, 10_000, 1, 4).selectExpr("id % 7 AS k", "id").groupBy("k").count();
        check(groups.collectAsList().size() == 7, "the DataFrame aggregation lost groups");

        String parquet = work.resolve("numbers.parquet").toString();
        spark.range(0, 1_000, 1, 2).selectExpr("id", "cast(id AS string) AS name").write().parquet(parquet);
        check(spark.read().parquet(parquet).filter("id % 2 = 0").count() == 500, "the Parquet round trip lost rows");
    }

    /**
     * The JVM writes each class to the list as it loads it. Stopping the context stops the executor; the list is
     * complete once it names the executor's main class and has stopped growing.
     */
    private static void awaitExecutorClasses(Path classList) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        long size = -1;
        while (true) {
            if (Files.exists(classList)) {
                long now = Files.size(classList);
                if (now == size && namesExecutor(classList)) {
                    return;
                }
                size = now;
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("the training executor wrote no class list to " + classList);
            }
            Thread.sleep(500);
        }
    }

    private static boolean namesExecutor(Path classList) throws IOException {
        try (Stream<String> lines = Files.lines(classList, StandardCharsets.ISO_8859_1)) {
            return lines.anyMatch(l -> l.equals(EXECUTOR_CLASS) || l.startsWith(EXECUTOR_CLASS + " "));
        }
    }

    private static void check(boolean ok, String problem) {
        if (!ok) {
            throw new IllegalStateException("training: " + problem);
        }
    }

    static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
