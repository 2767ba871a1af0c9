package dev.tower.spark;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalInt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TowerSparkConfTest {

    private static TowerSparkConf conf(String... keyValues) {
        Map<String, String> m = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put(keyValues[i], keyValues[i + 1]);
        }
        return TowerSparkConf.from(m);
    }

    @Test
    void defaults() {
        TowerSparkConf c = conf();
        assertThat(c.role()).isEqualTo("*");
        assertThat(c.principal()).isEmpty();
        assertThat(c.failoverTimeout()).isEqualTo(Duration.ofSeconds(120));
        assertThat(c.subscribeTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(c.rejectOfferDuration()).isEqualTo(Duration.ofSeconds(120));
        assertThat(c.shutdownTimeout()).isEqualTo(Duration.ZERO);
        assertThat(c.constraints().isEmpty()).isTrue();
        assertThat(c.maxExecutorsPerAgent()).isEqualTo(Integer.MAX_VALUE);
        assertThat(c.maxAgentFailures()).isEqualTo(2);
        assertThat(c.executorCores()).isEqualTo(1);
        assertThat(c.executorMemoryMb()).isEqualTo(1024);
        assertThat(c.executorTaskMemoryMb()).isEqualTo(1024 + 384);
        assertThat(c.coresMax()).isEmpty();
        assertThat(c.executorInstances()).isEmpty();
        assertThat(c.initialTarget()).isEmpty();
        assertThat(c.executorHome()).isEmpty();
        assertThat(c.executorUri()).isEmpty();
        assertThat(c.classDataSharing()).isTrue();
    }

    @ParameterizedTest(name = "executor memory {0} → overhead {1} MB")
    @CsvSource({"512m, 384", "1g, 384", "3840m, 384", "4g, 409", "8g, 819", "32g, 3276"})
    void memoryOverheadDefaultsToTenPercentAndAtLeast384Mb(String memory, long overhead) {
        TowerSparkConf c = conf("spark.executor.memory", memory);
        assertThat(c.memoryOverheadMb()).isEqualTo(overhead);
        assertThat(c.executorTaskMemoryMb()).isEqualTo(c.executorMemoryMb() + overhead);
    }

    @Test
    void memoryOverheadSettings() {
        assertThat(conf("spark.executor.memoryOverhead", "1g").memoryOverheadMb()).isEqualTo(1024);
        assertThat(conf("spark.executor.memory", "10g", "spark.executor.memoryOverheadFactor", "0.2")
                .memoryOverheadMb()).isEqualTo(2048);
        assertThat(conf("spark.executor.minMemoryOverhead", "100m", "spark.executor.memory", "500m")
                .memoryOverheadMb()).isEqualTo(100);
        TowerSparkConf offHeap = conf("spark.memory.offHeap.enabled", "true", "spark.memory.offHeap.size", "2g",
                "spark.executor.pyspark.memory", "512m");
        assertThat(offHeap.executorTaskMemoryMb()).isEqualTo(1024 + 384 + 2048 + 512);
    }

    @Test
    void staticAndDynamicTargets() {
        assertThat(conf("spark.executor.instances", "5").initialTarget()).hasValue(5);
        assertThat(conf("spark.executor.instances", "5", "spark.dynamicAllocation.enabled", "true").initialTarget())
                .hasValue(0);
        assertThat(conf("spark.cores.max", "8", "spark.executor.cores", "2").coresMax()).isEqualTo(OptionalInt.of(8));
    }

    @Test
    void towerSettings() {
        TowerSparkConf c = conf("spark.tower.role", "analytics", "spark.tower.principal", "etl",
                "spark.tower.failoverTimeout", "5min", "spark.tower.constraints", "rack:r1;zone:a,b",
                "spark.tower.executor.maxPerAgent", "3", "spark.tower.maxAgentFailures", "4",
                "spark.tower.rejectOfferDuration", "30", "spark.tower.executor.home", "/opt/spark",
                "spark.tower.executor.classDataSharing", "false");
        assertThat(c.role()).isEqualTo("analytics");
        assertThat(c.principal()).hasValue("etl");
        assertThat(c.failoverTimeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(c.constraints().matches(Map.of("rack", "r1", "zone", "b"))).isTrue();
        assertThat(c.maxExecutorsPerAgent()).isEqualTo(3);
        assertThat(c.maxAgentFailures()).isEqualTo(4);
        assertThat(c.rejectOfferDuration()).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.executorHome()).hasValue("/opt/spark");
        assertThat(c.classDataSharing()).isFalse();
    }

    @Test
    void javaOptionsPutSparkDefaultsFirstWithoutRepeatingThem() {
        assertThat(conf("spark.executor.defaultJavaOptions", "-Da=1", "spark.executor.extraJavaOptions", "-Db=2")
                .executorJavaOptions()).isEqualTo("-Da=1 -Db=2");
        assertThat(conf("spark.executor.defaultJavaOptions", "-Da=1", "spark.executor.extraJavaOptions",
                "-Da=1 -Db=2").executorJavaOptions()).isEqualTo("-Da=1 -Db=2");
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
            "spark.tower.executor.maxPerAgent | x | spark.tower.executor.maxPerAgent: must be a positive integer, got \"x\"",
            "spark.tower.executor.maxPerAgent | 0 | spark.tower.executor.maxPerAgent: must be a positive integer, got \"0\"",
            "spark.tower.maxAgentFailures | -1 | spark.tower.maxAgentFailures: must be a positive integer, got \"-1\"",
            "spark.executor.cores | two | spark.executor.cores: must be a positive integer, got \"two\"",
            "spark.executor.instances | -3 | spark.executor.instances: must be an integer >= 0, got \"-3\"",
            "spark.executor.memory | lots | spark.executor.memory: must be a size such as 512m or 2g, got \"lots\"",
            "spark.executor.memoryOverhead | 1q | spark.executor.memoryOverhead: must be a size such as 512m or 2g",
            "spark.executor.memoryOverheadFactor | 0 | spark.executor.memoryOverheadFactor: must be a positive number",
            "spark.tower.failoverTimeout | soon | spark.tower.failoverTimeout: must be a duration such as 30s or 2min, got \"soon\"",
            "spark.tower.subscribeTimeout | 0s | spark.tower.subscribeTimeout: must be a positive duration",
            "spark.tower.constraints | :r1 | spark.tower.constraints: \":r1\" has no attribute name",
            "spark.tower.constraints | rack: | spark.tower.constraints: attribute \"rack\" has no value",
            "spark.tower.role | a b | spark.tower.role: must be * or a role name",
            "spark.tower.executor.home | opt/spark | spark.tower.executor.home: must be an absolute path",
            "spark.executor.uri | http://h/spark.jar | spark.executor.uri: must name a Spark distribution archive",
            "spark.dynamicAllocation.enabled | yes | spark.dynamicAllocation.enabled: must be true or false, got \"yes\"",
            "spark.tower.executor.classDataSharing | on | spark.tower.executor.classDataSharing: must be true or false",
            "spark.executor.extraJavaOptions | -Da='x | spark.executor.extraJavaOptions: unterminated ' quote",
    })
    void aBadValueFailsWithAMessageNamingTheSetting(String key, String value, String message) {
        assertThatThrownBy(() -> conf(key, value)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(message);
    }

    @Test
    void coresMaxBelowExecutorCoresCouldNeverLaunch() {
        assertThatThrownBy(() -> conf("spark.cores.max", "1", "spark.executor.cores", "2"))
                .hasMessage("spark.cores.max: is below spark.executor.cores (2): no executor could be launched, got \"1\"");
    }

    @Test
    void offHeapNeedsASize() {
        assertThatThrownBy(() -> conf("spark.memory.offHeap.enabled", "true"))
                .hasMessageStartingWith("spark.memory.offHeap.size: must be positive");
    }

    @Test
    void archiveBaseNames() {
        assertThat(TowerSparkConf.archiveBaseName("https://h/dist/spark-4.2.0-bin-hadoop3.tgz?x=1"))
                .hasValue("spark-4.2.0-bin-hadoop3");
        assertThat(TowerSparkConf.archiveBaseName("hdfs:///spark/spark.tar.gz")).hasValue("spark");
        assertThat(TowerSparkConf.archiveBaseName("/opt/spark.zip")).hasValue("spark");
        assertThat(TowerSparkConf.archiveBaseName("/opt/.tgz")).isEmpty();
    }

    @Test
    void dockerSettingsDescribeTheExecutorsContainer() {
        assertThat(conf().executorContainer()).isEmpty();
        var c = conf("spark.tower.executor.docker.image", "tower/jvm:17",
                "spark.tower.executor.docker.volumes", "/opt/spark:/opt/spark, /data:/data:rw",
                "spark.tower.executor.docker.forcePullImage", "true").executorContainer().orElseThrow();
        assertThat(c.image()).isEqualTo("tower/jvm:17");
        assertThat(c.network()).isEqualTo(dev.tower.api.model.ContainerInfo.Network.HOST);
        assertThat(c.pullPolicy()).isEqualTo(dev.tower.api.model.ContainerInfo.PullPolicy.ALWAYS);
        assertThat(c.volumes()).extracting(v -> v.hostPath() + ">" + v.containerPath() + ":" + v.mode().json())
                .containsExactly("/opt/spark>/opt/spark:ro", "/data>/data:rw");
        assertThatThrownBy(() -> conf("spark.tower.executor.docker.volumes", "/a:/b"))
                .hasMessageContaining("spark.tower.executor.docker.volumes").hasMessageContaining("needs");
        assertThatThrownBy(() -> conf("spark.tower.executor.docker.image", "x",
                "spark.tower.executor.docker.volumes", "relative:/b"))
                .hasMessageContaining("is not /host/path:/container/path");
    }
}
