package dev.tower.spark.examples;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaPairRDD;
import org.apache.spark.api.java.JavaSparkContext;
import scala.Tuple2;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Counts words: {@code WordCount INPUT [OUTPUT [PARTITIONS]]}.
 *
 * <p>Reads INPUT (a file, directory or glob Spark understands), splits lines into lower-cased words, counts them
 * with {@code reduceByKey} (a shuffle over PARTITIONS partitions; default: Spark's default parallelism) and sorts
 * by count (a second shuffle). With OUTPUT, writes {@code word<TAB>count} lines there (a directory of part files,
 * which must not exist yet); always prints the totals and the 20 most frequent words.
 */
public final class WordCount {
    private static final Pattern NON_WORD = Pattern.compile("[^\\p{L}\\p{N}']+");
    private static final int TOP = 20;

    private WordCount() {
    }

    public static void main(String[] args) {
        if (args.length < 1 || args.length > 3) {
            System.err.println("usage: WordCount INPUT [OUTPUT [PARTITIONS]]");
            System.exit(2);
        }
        String input = args[0];
        String output = args.length > 1 ? args[1] : null;
        SparkConf conf = new SparkConf().setAppName("WordCount");
        try (JavaSparkContext sc = new JavaSparkContext(conf)) {
            int partitions = args.length > 2 ? Integer.parseInt(args[2]) : sc.defaultParallelism();
            JavaPairRDD<String, Long> counts = sc.textFile(input)
                    .flatMap(line -> Arrays.asList(NON_WORD.split(line.toLowerCase(Locale.ROOT))).iterator())
                    .filter(word -> !word.isEmpty())
                    .mapToPair(word -> new Tuple2<>(word, 1L))
                    .reduceByKey(Long::sum, partitions);
            // Most frequent first; ties in word order, so the output is the same on every run.
            JavaPairRDD<String, Long> sorted = counts
                    .mapToPair(t -> new Tuple2<>(new CountKey(t._2(), t._1()), t._2()))
                    .sortByKey(true, partitions)
                    .mapToPair(t -> new Tuple2<>(t._1().word, t._2()))
                    .cache();
            if (output != null) {
                sorted.map(t -> t._1() + "\t" + t._2()).saveAsTextFile(output);
            }
            long distinct = sorted.count();
            long total = sorted.values().fold(0L, Long::sum);
            List<Tuple2<String, Long>> top = sorted.take(TOP);
            System.out.println("Words: " + total + " (" + distinct + " distinct)");
            for (Tuple2<String, Long> t : top) {
                System.out.println(t._2() + "\t" + t._1());
            }
            if (output != null) {
                System.out.println("Counts written to " + output);
            }
        }
    }

    /** Sort key: higher count first, then the word. */
    record CountKey(long count, String word) implements Comparable<CountKey>, java.io.Serializable {
        @Override
        public int compareTo(CountKey o) {
            int c = Long.compare(o.count, count);
            return c != 0 ? c : word.compareTo(o.word);
        }
    }
}
