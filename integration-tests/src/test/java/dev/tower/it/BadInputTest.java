package dev.tower.it;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tower.api.model.Offer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.net.http.HttpResponse;

import static org.assertj.core.api.Assertions.assertThat;

/** Bad calls to the scheduler API are answered 400 with an error that names the offending field. */
@ExtendWith(LogsOnFailure.class)
class BadInputTest {
    private static Cluster cluster;
    private static RawSubscription a;
    private static RawSubscription b;

    @BeforeAll
    static void start() throws Exception {
        cluster = Cluster.start("badinput", 1, "5s");
        a = RawSubscription.open(cluster, "bad-input-a");
        b = RawSubscription.open(cluster, "bad-input-b");
    }

    @AfterAll
    static void stop() {
        for (AutoCloseable c : new AutoCloseable[] {a, b, cluster}) {
            try {
                if (c != null) {
                    c.close();
                }
            } catch (Exception e) {
                System.err.println("closing " + c + ": " + e);
            }
        }
    }

    @Test
    void malformedJson() {
        assertThat(error(a.post(a.streamId(), "{\"type\":"))).startsWith("malformed JSON");
    }

    @Test
    void unknownCallType() {
        assertThat(error(a.post(a.streamId(), "{\"type\":\"FROBNICATE\",\"frameworkId\":\"" + a.frameworkId() + "\"}")))
                .contains("type");
    }

    @Test
    void negativeResourcesInALaunch() {
        Offer offer = a.awaitOffer();
        assertThat(error(a.post(a.streamId(), launch(offer.id(), "{\"cpus\":-1,\"mem\":16}"))))
                .contains("resources.cpus");
    }

    @Test
    void notANumberResources() {
        Offer offer = a.awaitOffer();
        assertThat(error(a.post(a.streamId(), launch(offer.id(), "{\"cpus\": NaN, \"mem\":16}"))))
                .contains("cpus");
    }

    @Test
    void unknownOfferId() {
        assertThat(error(a.post(a.streamId(), launch("no-such-offer", "{\"cpus\":0.1,\"mem\":16}"))))
                .contains("offerIds");
    }

    @Test
    void taskLargerThanTheOffer() {
        Offer offer = a.awaitOffer();
        double cpus = offer.resources().cpus() + 1;
        assertThat(error(a.post(a.streamId(), launch(offer.id(), "{\"cpus\":" + cpus + ",\"mem\":16}"))))
                .contains("resources");
    }

    @Test
    void callOnAnotherFrameworksStream() {
        String json = "{\"type\":\"REVIVE\",\"frameworkId\":\"" + b.frameworkId() + "\"}";
        assertThat(error(a.post(a.streamId(), json))).contains("frameworkId");
    }

    @Test
    void killOfAnUnknownTask() {
        String json = "{\"type\":\"KILL\",\"frameworkId\":\"" + a.frameworkId() + "\",\"taskId\":\"no-such-task\"}";
        assertThat(error(a.post(a.streamId(), json))).contains("taskId");
    }

    @Test
    void missingStreamId() {
        String json = "{\"type\":\"REVIVE\",\"frameworkId\":\"" + a.frameworkId() + "\"}";
        assertThat(error(a.post(null, json))).contains("Tower-Stream-Id");
    }

    @Test
    void theStreamsStayUsable() {
        assertThat(a.unreadable()).isEmpty();
        String json = "{\"type\":\"REVIVE\",\"frameworkId\":\"" + a.frameworkId() + "\"}";
        HttpResponse<String> r = a.post(a.streamId(), json);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
    }

    private String launch(String offerId, String resources) {
        return "{\"type\":\"ACCEPT\",\"frameworkId\":\"" + a.frameworkId() + "\",\"offerIds\":[\"" + offerId + "\"],"
                + "\"operations\":[{\"type\":\"LAUNCH\",\"tasks\":[{\"taskId\":\"t1\",\"name\":\"t1\",\"resources\":"
                + resources + ",\"command\":{\"shell\":true,\"value\":\"true\"}}]}],\"filters\":{\"refuseSeconds\":0}}";
    }

    /** Asserts a 400 with a JSON {@code error} and returns the error. */
    private static String error(HttpResponse<String> r) {
        assertThat(r.statusCode()).as("status of reply %s", r.body()).isEqualTo(400);
        JsonNode body = Cluster.readTree(r.body());
        assertThat(body.path("error").isTextual()).as("error field in %s", r.body()).isTrue();
        return body.path("error").asText();
    }
}
