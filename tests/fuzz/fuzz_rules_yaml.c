// libFuzzer target for the Sentinel YAML rule loader.
//
// Not part of the CMake build. Build and run by hand from the repository root:
//
//   clang -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined -Isrc \
//       tests/fuzz/fuzz_rules_yaml.c src/rules/*.c src/base/*.c \
//       $(pkg-config --cflags --libs yaml-0.1) -o /tmp/fuzz_rules_yaml
//   mkdir -p /tmp/fuzz-rules-corpus && cp tests/fixtures/rules/*.yaml /tmp/fuzz-rules-corpus/
//   /tmp/fuzz_rules_yaml -max_total_time=60 -max_len=8192 /tmp/fuzz-rules-corpus
//
// Each input is loaded as one rule file. The query map of every loaded rule is
// checked against the query text, so an indent array of the wrong length fails.
#include "rules/rule.h"

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    kq_rule_set set;
    kq_diags diags;
    kq_rule_set_init(&set);
    kq_diags_init(&diags);
    kq_rules_load_buffer("fuzz.yaml", (const char *)data, size, &set, &diags);

    for (size_t i = 0; i < set.count; i++) {
        const kq_rule *rule = set.rules[i];
        const kq_source *source = &rule->query_source;
        assert(source->text == rule->query);
        assert(source->len == rule->query_len);
        int lines = 1;
        for (size_t k = 0; k < source->len; k++)
            lines += source->text[k] == '\n';
        assert(lines == source->nindent);
        int line, column;
        kq_source_position(source, source->len, &line, &column);
        assert(line >= 1);
        assert(column >= 1);
    }

    kq_rule_set_free(&set);
    kq_diags_free(&diags);
    return 0;
}
