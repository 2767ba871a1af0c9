package dev.tower.api.codec;

import dev.tower.api.model.CommandInfo;
import dev.tower.api.model.Filters;
import dev.tower.api.model.Resources;
import dev.tower.api.model.TaskInfo;
import dev.tower.api.scheduler.SchedulerCall;
import dev.tower.api.scheduler.SchedulerEvent;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class JsonTest {

    @Test
    void callsRoundTripWithTheirTypeNames() {
        SchedulerCall call = SchedulerCall.Accept.launch("fw-1", List.of("o-1"),
                List.of(TaskInfo.of("t1", Resources.parse("cpus:1;mem:128;ports:[31000-31001]"),
                        CommandInfo.shell("echo hi"))),
                Filters.refuse(10));
        String json = Json.write(call);
        assertThat(json).contains("\"type\":\"ACCEPT\"").contains("\"type\":\"LAUNCH\"")
                .contains("\"ports\":[{\"begin\":31000,\"end\":31001}]");
        assertThat(Json.read(json, SchedulerCall.class)).isEqualTo(call);
        assertThat(Json.typeName(new SchedulerEvent.Heartbeat())).isEqualTo("HEARTBEAT");
    }

    @Test
    void unknownCallTypeIsNamed() {
        assertThatThrownBy(() -> Json.read("{\"type\":\"EXPLODE\"}", SchedulerCall.class))
                .isInstanceOf(BadInputException.class).hasMessageContaining("unknown call type 'EXPLODE'");
    }

    @Test
    void malformedJsonIsReportedAsSuch() {
        assertThatThrownBy(() -> Json.read("{\"type\":", SchedulerCall.class))
                .isInstanceOf(BadInputException.class).hasMessageStartingWith("malformed JSON");
    }

    @Test
    void badResourceValueNamesTheField() {
        String json = "{\"type\":\"ACCEPT\",\"frameworkId\":\"f\",\"operations\":[{\"type\":\"LAUNCH\",\"tasks\":"
                + "[{\"taskId\":\"t\",\"resources\":{\"cpus\":\"lots\"}}]}]}";
        assertThatThrownBy(() -> Json.read(json, SchedulerCall.class))
                .isInstanceOf(BadInputException.class)
                .hasMessageContaining("operations[0].tasks[0].resources")
                .hasMessageContaining("cpus");
    }

    @Test
    void nanReachesValidationWhichNamesTheField() {
        String json = "{\"cpus\":NaN,\"mem\":-5}";
        Resources r = Json.read(json, Resources.class);
        assertThat(r.validate("resources")).hasValueSatisfying(m -> assertThat(m).contains("resources.cpus"));
    }

    @Test
    void subscribedCarriesTheEpoch() {
        var withEpoch = new dev.tower.api.scheduler.SchedulerEvent.Subscribed("fw-1", "s-1", 5.0, 7);
        assertThat(Json.read(Json.write(withEpoch), dev.tower.api.scheduler.SchedulerEvent.class)).isEqualTo(withEpoch);
        assertThat(new dev.tower.api.agent.AgentEvent.Subscribed("a-1", "s", 5.0).epoch()).isZero();
        assertThat(Json.write(new dev.tower.api.detect.LeaderInfo("m-1", "h:5050", 3)))
                .contains("\"epoch\":3").contains("\"address\":\"h:5050\"");
    }
}
