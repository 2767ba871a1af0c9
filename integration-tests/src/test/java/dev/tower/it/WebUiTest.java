package dev.tower.it;

import com.fasterxml.jackson.core.type.TypeReference;
import dev.tower.api.codec.Json;
import dev.tower.api.model.TaskState;
import dev.tower.api.operator.FrameworkView;
import dev.tower.api.operator.TaskView;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The web UI in a real headless Chromium against a real master with two agents running tasks: what an operator
 * sees on each page, that links lead where they say, and that pages follow the cluster live. Each page's screenshot
 * is written under {@code target/webui-screenshots/}.
 */
@ExtendWith(LogsOnFailure.class)
class WebUiTest {
    private static final String ECHO_LINE = "hello from the web UI test";
    private static final Duration UI_WAIT = Duration.ofSeconds(30);

    private static Cluster cluster;
    private static Browser browser;

    @BeforeAll
    static void start() {
        Browser.assumeInstalled();
        cluster = Cluster.start("webui", 2, "5s");
        cluster.cliAsync("run", "-m", cluster.master(), "--name", "ui-echo", "--cpus", "0.5", "--mem", "64",
                "--", "sh", "-c", "echo '" + ECHO_LINE + "'; echo 'to stderr' >&2; sleep 600");
        cluster.cliAsync("run", "-m", cluster.master(), "--name", "ui-sleeper", "--cpus", "0.5", "--mem", "64",
                "--", "sleep", "600");
        awaitRunning("ui-echo");
        awaitRunning("ui-sleeper");
        browser = Browser.start();
    }

    @AfterAll
    static void stop() {
        try {
            if (browser != null) {
                browser.close();
            }
        } finally {
            if (cluster != null) {
                cluster.close();
            }
        }
    }

    /** What the page showed when the test ended: the first thing to look at when one fails. */
    @AfterEach
    void screenshotAtTheEnd(TestInfo test) {
        if (browser != null) {
            browser.screenshot("end-of-" + test.getTestMethod().map(m -> m.getName()).orElse("test"));
        }
    }

    private static void awaitRunning(String taskId) {
        await(taskId + " RUNNING").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
                .until(() -> cluster.tasks().stream().anyMatch(t -> t.taskId().equals(taskId)
                        && t.state() == TaskState.RUNNING));
    }

    private static long running() {
        return cluster.tasks().stream().filter(t -> t.state() == TaskState.RUNNING).count();
    }

    @Test
    void overviewShowsTheAgentAndTaskCounts() {
        browser.open(cluster.uri("/"));

        await("overview counts").atMost(UI_WAIT).ignoreExceptions().untilAsserted(() -> {
            assertThat(browser.text("#agents-active")).isEqualTo("2");
            assertThat(browser.text("#agents-total")).isEqualTo("active of 2");
            assertThat(browser.all("#tasks-RUNNING").get(0).getAttribute("data-count"))
                    .isEqualTo(String.valueOf(running()));
            assertThat(browser.all(".chart svg")).hasSize(4);
        });
        assertThat(browser.text("#leader")).isEqualTo(cluster.master());
        browser.screenshot("overview");
    }

    @Test
    void clickingATaskOpensItsPageWhereStdoutShowsWhatItPrinted() {
        browser.open(cluster.uri("/tasks"));
        WebElement link = await("ui-echo listed").atMost(UI_WAIT).ignoreExceptions()
                .until(() -> browser.driver().findElement(By.cssSelector("tr[data-task='ui-echo'] td a")), e -> true);
        browser.screenshot("tasks");

        link.click();

        await("the task's page").atMost(UI_WAIT).until(() -> browser.path().equals("/tasks/ui-echo"));
        await("stdout tail").atMost(UI_WAIT).ignoreExceptions()
                .until(() -> browser.text("#tail").contains(ECHO_LINE));
        await("status history").atMost(UI_WAIT).ignoreExceptions()
                .until(() -> browser.text("#status-history").contains("RUNNING"));
        assertThat(browser.text("#sandbox-files")).contains("stdout").contains("stderr");
        browser.screenshot("task");
    }

    @Test
    void aTaskStartedAfterThePageLoadedAppearsWithoutAReload() {
        browser.open(cluster.uri("/tasks"));
        await("task list").atMost(UI_WAIT).ignoreExceptions()
                .until(() -> !browser.all("tr[data-task='ui-echo']").isEmpty());
        browser.driver().executeScript("window.towerTestMarker = 'the same page';");

        cluster.cliAsync("run", "-m", cluster.master(), "--name", "ui-late", "--cpus", "0.25", "--mem", "32",
                "--", "sleep", "600");

        await("ui-late listed without a reload").atMost(UI_WAIT).ignoreExceptions()
                .until(() -> browser.text("tr[data-task='ui-late']").contains("RUNNING"));
        assertThat(browser.driver().executeScript("return window.towerTestMarker;")).isEqualTo("the same page");
        browser.screenshot("tasks-live");
    }

    @Test
    void theFrameworkPageOfASuppressedFrameworkSaysWhyItGetsNoOffers() {
        String frameworkId = frameworkOf("ui-echo");
        await("ui-echo's framework suppressed").atMost(UI_WAIT).until(() -> suppressed(frameworkId));
        browser.open(cluster.uri("/frameworks"));
        WebElement link = await("framework listed").atMost(UI_WAIT).ignoreExceptions().until(() -> browser.driver()
                .findElement(By.cssSelector("a[href='/frameworks/" + frameworkId + "']")), e -> true);
        browser.screenshot("frameworks");

        link.click();

        await("why-not reasons").atMost(UI_WAIT).ignoreExceptions().untilAsserted(() -> {
            List<WebElement> reasons = browser.all("#whynot .whynot-reason");
            assertThat(reasons).hasSize(2);
            assertThat(reasons).allSatisfy(r -> assertThat(r.getText()).contains("suppressed offers"));
        });
        assertThat(browser.path()).isEqualTo("/frameworks/" + frameworkId);
        browser.screenshot("framework");
    }

    @Test
    void agentPagesListTheirTasksAndTheEventsPageFilters() {
        String agentId = cluster.tasks().stream().filter(t -> t.taskId().equals("ui-echo")).findFirst()
                .orElseThrow().agentId();
        browser.open(cluster.uri("/agents"));
        await("agents listed").atMost(UI_WAIT).ignoreExceptions()
                .until(() -> browser.all("a[href^='/agents/agent-']").size() == 2);
        browser.screenshot("agents");
        browser.driver().findElement(By.cssSelector("a[href='/agents/" + agentId + "']")).click();
        await("the agent's tasks").atMost(UI_WAIT).ignoreExceptions()
                .until(() -> !browser.all("tr[data-task='ui-echo']").isEmpty());
        browser.screenshot("agent");

        browser.open(cluster.uri("/events"));
        await("recent events").atMost(UI_WAIT).ignoreExceptions()
                .until(() -> browser.all(".events tbody tr").size() > 5);
        browser.driver().findElement(By.name("type")).sendKeys("task.");
        await("only task events").atMost(UI_WAIT).ignoreExceptions().untilAsserted(() -> {
            List<WebElement> types = browser.all(".events tbody td.type");
            assertThat(types).isNotEmpty().allSatisfy(t -> assertThat(t.getText()).startsWith("task."));
        });
        browser.screenshot("events");
    }

    @Test
    void theMasterPassesOnTheAgentsFilesApiSoABrowserNeedsOnlyTheMaster() {
        TaskView echo = cluster.tasks().stream().filter(t -> t.taskId().equals("ui-echo")).findFirst().orElseThrow();
        String files = "/api/v1/agents/" + echo.agentId() + "/files/";

        assertThat(cluster.getOk(files + "read?task=ui-echo&path=stdout&offset=0")).contains(ECHO_LINE);
        assertThat(cluster.getOk(files + "browse?task=ui-echo&framework=" + echo.frameworkId()))
                .contains("\"path\":\"stdout\"", "\"path\":\"stderr\"");
        var escape = cluster.get(files + "read?task=ui-echo&path=..%2F..%2Fetc%2Fpasswd");
        assertThat(escape.statusCode()).isEqualTo(400);
        assertThat(escape.body()).contains("escapes the sandbox");
        assertThat(cluster.get("/api/v1/agents/agent-unknown/files/read?task=ui-echo&path=stdout").statusCode())
                .isEqualTo(404);
    }

    private static String frameworkOf(String taskId) {
        return cluster.tasks().stream().filter(t -> t.taskId().equals(taskId)).map(TaskView::frameworkId)
                .findFirst().orElseThrow();
    }

    private static boolean suppressed(String frameworkId) {
        List<FrameworkView> all = Json.mapper().convertValue(Cluster.readTree(cluster.getOk("/api/v1/frameworks")),
                new TypeReference<>() { });
        return all.stream().anyMatch(f -> f.id().equals(frameworkId) && f.suppressed());
    }
}
