package dev.tower.manager.security;

import dev.tower.api.security.Principals;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static dev.tower.manager.security.Acls.Permission.REGISTER_FRAMEWORKS;
import static dev.tower.manager.security.Acls.Permission.TEARDOWN_FRAMEWORKS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AclsTest {
    @Test
    void theFirstRuleThatMatchesDecidesAndNoneDenies() {
        Acls acls = Acls.parse("""
                {"register_frameworks": [{"principals": ["bob"], "roles": "NONE"},
                                         {"principals": ["alice"], "roles": ["etl"]},
                                         {"principals": "ANY", "roles": ["*"]}]}
                """);
        assertThat(acls.check("bob", REGISTER_FRAMEWORKS, "*").allowed()).isFalse();
        assertThat(acls.check("alice", REGISTER_FRAMEWORKS, "etl").allowed()).isTrue();
        assertThat(acls.check("alice", REGISTER_FRAMEWORKS, "*").allowed()).as("a later ANY rule").isTrue();
        assertThat(acls.check("carol", REGISTER_FRAMEWORKS, "*").allowed()).isTrue();
        assertThat(acls.check("carol", REGISTER_FRAMEWORKS, "etl").allowed())
                .as("no rule decides: permissive by default").isTrue();
        assertThat(acls.isOpen()).isFalse();
    }

    @Test
    void withoutPermissiveWhatNoRuleAllowsIsDeniedNamingThePermission() {
        Acls acls = Acls.parse("{\"permissive\": false, \"teardown_frameworks\": [{\"principals\": [\"ops\"], "
                + "\"framework_principals\": \"ANY\"}]}");
        assertThat(acls.check("ops", TEARDOWN_FRAMEWORKS, null).allowed()).isTrue();
        Acls.Decision d = acls.check("dev", TEARDOWN_FRAMEWORKS, "spark");
        assertThat(d.allowed()).isFalse();
        assertThat(d.denial()).isEqualTo("principal 'dev' lacks permission teardown_frameworks of frameworks of "
                + "principal 'spark'");
        assertThat(acls.check("dev", REGISTER_FRAMEWORKS, "*").allowed()).isFalse();
    }

    @Test
    void aBadFileIsNamedPrecisely() {
        assertThatThrownBy(() -> Acls.parse("{\"register_framework\": []}"))
                .hasMessageContaining("register_framework: unknown permission; known: permissive, register_frameworks");
        assertThatThrownBy(() -> Acls.parse("{\"run_tasks\": [{\"principals\": \"SOME\", \"users\": \"ANY\"}]}"))
                .hasMessageContaining("run_tasks[0].principals: expected a list of names, \"ANY\" or \"NONE\"");
        assertThatThrownBy(() -> Acls.parse("{\"run_tasks\": [{\"principals\": [\"a\"], \"roles\": \"ANY\"}]}"))
                .hasMessageContaining("run_tasks[0].roles: unknown; a rule of run_tasks has \"principals\" and \"users\"");
        assertThatThrownBy(() -> Acls.parse("{\"permissive\": \"no\"}")).hasMessageContaining("permissive: expected true or false");
        assertThatThrownBy(() -> Acls.parse("[")).hasMessageContaining("not JSON");
        assertThat(Acls.PERMISSIVE.isOpen()).isTrue();
    }

    @Test
    void principalsAuthenticateByBasicOrBearerOnly() {
        Principals p = Principals.of(Map.of("spark", "s3cret"));
        assertThat(p.authenticate("Basic " + java.util.Base64.getEncoder().encodeToString("spark:s3cret".getBytes())))
                .contains("spark");
        assertThat(p.authenticate("bearer s3cret")).contains("spark");
        assertThat(p.authenticate("Basic " + java.util.Base64.getEncoder().encodeToString("spark:s3cre".getBytes())))
                .isEmpty();
        assertThat(p.authenticate("Basic " + java.util.Base64.getEncoder().encodeToString("spark".getBytes()))).isEmpty();
        assertThat(p.authenticate("Basic ###")).isEmpty();
        assertThat(p.authenticate(null)).isEmpty();
        assertThatThrownBy(() -> Principals.of(Map.of("a", "same", "b", "same"))).hasMessageContaining("the same secret");
    }
}
