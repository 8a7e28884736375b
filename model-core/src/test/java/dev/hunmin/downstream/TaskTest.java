package dev.hunmin.downstream;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class TaskTest {
  @Test
  void columnsAreFoundByNameAndAByteOrderMarkIsNoPartOfTheFirst() {
    List<Task.Item> items = Task.named("hate_speech").parse(
        List.of("\uFEFFcomments\tcontain_gender_bias\tbias\thate", "정말 좋은 글이네요\tFalse\tnone\tnone", "\tFalse\tnone\tnone"), "train.tsv");
    assertEquals(1, items.size());
    assertEquals("정말 좋은 글이네요", items.get(0).textA());
    assertEquals(Task.named("hate_speech").labels().indexOf("none"), (int) items.get(0).label());
  }
}
