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

  @Test
  void aScoreOffTheStsScaleIsSkippedAsAnUnknownLabelIs() {
    List<Task.Item> items = Task.named("korsts").parse(List.of("genre\tfilename\tyear\tid\tscore\tsentence1\tsentence2",
        "main\tf\t2012\t1\t5.000\t비행기가 이륙하고 있다.\t비행기가 이륙하고 있다.",
        "main\tf\t2012\t2\t0\t한 남자가 피리를 불고 있다.\t고양이가 잔다.",
        "main\tf\t2012\t3\t50\t한 남자가 기타를 친다.\t남자가 기타를 친다.",
        "main\tf\t2012\t4\t-1\t한 여자가 춤을 춘다.\t남자가 노래한다.",
        "main\tf\t2012\t5\tNaN\t아이가 웃는다.\t아이가 운다."), "sts-train.tsv");
    assertEquals(List.of(5f, 0f), items.stream().map(Task.Item::label).toList());
  }
}
