from rest_framework import serializers

from materiality.models import StakeholderGroup, Topic, TopicReference


class TopicReferenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = TopicReference
        fields = ["framework", "reference", "title"]


class TopicSerializer(serializers.ModelSerializer):
    references = TopicReferenceSerializer(many=True, read_only=True)

    class Meta:
        model = Topic
        fields = ["code", "name", "description", "dimension", "active", "order", "references"]


class StakeholderGroupSerializer(serializers.ModelSerializer):
    class Meta:
        model = StakeholderGroup
        fields = [
            "code",
            "name",
            "description",
            "internal",
            "default_weight",
            "concerns",
            "channels",
            "frequency",
            "active",
            "order",
        ]
