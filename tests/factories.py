"""factory_boy factories: the one place that knows how to make valid test objects."""

from __future__ import annotations

from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from materiality.models import Dimension, StakeholderGroup, Topic
from materiality.roles import Role


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = factory.django.Password("correct horse battery staple")

    @factory.post_generation
    def roles(self, create: bool, extracted: list[Role] | None, **kwargs: Any) -> None:
        if create and extracted:
            self.groups.add(*Group.objects.filter(name__in=[role.value for role in extracted]))


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic

    code = factory.Sequence(lambda n: f"test-topic-{n}")
    name = factory.LazyAttribute(lambda t: {"en": f"Topic {t.code}", "zh-hans": f"议题 {t.code}"})
    dimension = Dimension.SOCIAL
    order = factory.Sequence(lambda n: 1000 + n)


class StakeholderGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StakeholderGroup

    code = factory.Sequence(lambda n: f"test-group-{n}")
    name = factory.LazyAttribute(lambda g: {"en": f"Group {g.code}", "zh-hans": f"群体 {g.code}"})
    order = factory.Sequence(lambda n: 1000 + n)
